"""LigdiCash for Python: hosted and direct payin, payouts, status checks, callbacks.

Quick start (the documented API)::

    import ligdicash

    ligdicash.api_key = "..."
    ligdicash.auth_token = "..."
    ligdicash.platform = "live"

    invoice = ligdicash.Invoice(currency="xof", description="Order #42")
    invoice.add_item(name="Shirt", description="Size M", quantity=2, unit_price=15000)
    response = invoice.pay_with_redirection(return_url=..., cancel_url=...,
                                            callback_url=..., custom_data={...})
    transaction = ligdicash.get_transaction(response.token, "payin")

Module settings (read at each request; ``None`` means "environment, then default"):
``api_key``, ``auth_token``, ``platform`` (``"live"``/``"test"``), ``base_url`` (API root
override, e.g. a local sandbox), ``allow_http_hosts`` (plain-http hosts besides loopback),
``timeout`` (seconds), ``max_retries``, ``on_request`` (declared once in ``_config.SETTINGS``).
For several accounts in one process use :class:`Client`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._exceptions import (
    AmountOutOfRangeError,
    APIConnectionError,
    ApiError,
    APIStatusError,
    APITimeoutError,
    ApplicationAuthenticationError,
    AuthenticationError,
    CallbackError,
    CallbackMismatchError,
    ClientClosedError,
    ConfigurationError,
    CustomerDoesNotExistError,
    DataInputError,
    ExpiredOtpError,
    FeatureNotTestableError,
    InvalidAmountError,
    InvalidCallbackError,
    InvalidHashError,
    InvalidMethodError,
    InvalidRequestError,
    InvalidResponseError,
    InvalidTokenError,
    InvoiceNotFoundError,
    IpDeniedError,
    LigdicashError,
    MerchantAccountDoesNotExistError,
    MerchantBalanceLowError,
    MerchantPayinDisabledError,
    MerchantPayoutDisabledError,
    NoDeposit3MonthsError,
    NoDeposit24HError,
    NoHashError,
    NoNetworkAccessConfigurationError,
    NoPendingOrProcessedPayout24HError,
    ProcessingError,
    RateLimitError,
    RecipientOperatorNotIdentifiedError,
    RequestRefusedError,
    SendingError,
    ServerError,
    StoreUnavailableError,
    StoreURLError,
    TransactionAlreadyExistError,
    UnauthorizedCurrencyConversionError,
    UnauthorizedMethodError,
    UnknownRefusalError,
    WaitTimeoutError,
    WalletOtpError,
    WalletOtpNotSentError,
    WrongOtpError,
    WrongWalletCredentialsError,
)
from ._facade import confirm_callback, get_transaction, reset_default_client
from ._models import PaymentResponse, Transaction, WalletOtpResponse
from ._records import RequestRecord
from ._resources import Invoice, InvoiceItem, Withdrawal
from ._version import __version__
from ._warnings import LigdicashWarning, MissingCallbackUrlWarning

if TYPE_CHECKING:
    import httpx

    from ._async_client import AsyncClient
    from ._async_resources import AsyncInvoice, AsyncWithdrawal
    from ._bulk import TransactionResult
    from ._callbacks import Callback, parse_callback
    from ._client import Client
    from ._logs import redact_httpx_logs
    from ._reconcile import Reconciler, ReconcileSummary
    from ._registry import registry_lookup
    from ._stores import Store, open_store

# Names loaded on first use (PEP 562): the clients import httpx and the callback parser its
# own stdlib share, so ``import ligdicash`` stays about half the provider SDK's import time
# (benchmarks/run.py); ``ligdicash.Client`` and ``from ligdicash import Client`` work as usual.
_LAZY = {
    "Callback": "._callbacks",
    "parse_callback": "._callbacks",
    "redact_httpx_logs": "._logs",
    "Client": "._client",
    "AsyncClient": "._async_client",
    "AsyncInvoice": "._async_resources",
    "AsyncWithdrawal": "._async_resources",
    "TransactionResult": "._bulk",
    "Store": "._stores",
    "open_store": "._stores",
    "Reconciler": "._reconcile",
    "ReconcileSummary": "._reconcile",
    "registry_lookup": "._registry",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ligdicash' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


#: The names ligdicash 1.x used for two payout refusals, kept so its users switch unchanged.
NoPendProcPayout24HError = NoPendingOrProcessedPayout24HError
NoDeposit3MError = NoDeposit3MonthsError

api_key: Optional[str] = None
auth_token: Optional[str] = None
platform: Optional[str] = None
base_url: Optional[str] = None
allow_http_hosts: Union[str, tuple[str, ...], None] = None
timeout: Union[float, httpx.Timeout, None] = None
max_retries: Optional[int] = None
on_request: Optional[Callable[[RequestRecord], object]] = None

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmountOutOfRangeError",
    "ApiError",
    "ApplicationAuthenticationError",
    "AsyncClient",
    "AsyncInvoice",
    "AsyncWithdrawal",
    "AuthenticationError",
    "Callback",
    "CallbackError",
    "CallbackMismatchError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "CustomerDoesNotExistError",
    "DataInputError",
    "ExpiredOtpError",
    "FeatureNotTestableError",
    "InvalidAmountError",
    "InvalidCallbackError",
    "InvalidHashError",
    "InvalidMethodError",
    "InvalidRequestError",
    "InvalidResponseError",
    "InvalidTokenError",
    "Invoice",
    "InvoiceItem",
    "InvoiceNotFoundError",
    "IpDeniedError",
    "LigdicashError",
    "LigdicashWarning",
    "MerchantAccountDoesNotExistError",
    "MerchantBalanceLowError",
    "MerchantPayinDisabledError",
    "MerchantPayoutDisabledError",
    "MissingCallbackUrlWarning",
    "NoDeposit3MError",
    "NoDeposit3MonthsError",
    "NoDeposit24HError",
    "NoHashError",
    "NoNetworkAccessConfigurationError",
    "NoPendProcPayout24HError",
    "NoPendingOrProcessedPayout24HError",
    "PaymentResponse",
    "ProcessingError",
    "RateLimitError",
    "RecipientOperatorNotIdentifiedError",
    "ReconcileSummary",
    "Reconciler",
    "RequestRecord",
    "RequestRefusedError",
    "SendingError",
    "ServerError",
    "Store",
    "StoreURLError",
    "StoreUnavailableError",
    "Transaction",
    "TransactionAlreadyExistError",
    "TransactionResult",
    "UnauthorizedCurrencyConversionError",
    "UnauthorizedMethodError",
    "UnknownRefusalError",
    "WaitTimeoutError",
    "WalletOtpError",
    "WalletOtpNotSentError",
    "WalletOtpResponse",
    "Withdrawal",
    "WrongOtpError",
    "WrongWalletCredentialsError",
    "__version__",
    "confirm_callback",
    "get_transaction",
    "open_store",
    "parse_callback",
    "redact_httpx_logs",
    "registry_lookup",
    "reset_default_client",
]
