"""The public front door: ``ligdicash.__all__`` is pinned and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ligdicash

# The public surface, pinned: adding or removing a name is a decision, made here on purpose.
PUBLIC = {
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
    "NoDeposit24HError",
    "NoDeposit3MError",
    "NoDeposit3MonthsError",
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
}


def test_all_lists_exactly_the_public_names_once() -> None:
    assert len(ligdicash.__all__) == len(set(ligdicash.__all__))
    assert set(ligdicash.__all__) == PUBLIC


def test_every_exported_name_resolves_including_the_lazy_ones() -> None:
    for name in ligdicash.__all__:
        assert getattr(ligdicash, name) is not None, name
    assert set(dir(ligdicash)) >= PUBLIC


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        ligdicash.NoSuchThing  # noqa: B018


def test_importing_ligdicash_loads_no_optional_extra() -> None:
    code = (
        "import sys, ligdicash; "
        "heavy = [m for m in ('starlette', 'uvicorn', 'django', 'flask', 'fastapi', 'click',"
        " 'rich', 'httpx', 'ligdicash.sandbox', 'ligdicash.contrib', 'ligdicash._callbacks')"
        " if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
