"""The API's operations and the request bodies they send, as pure data.

Each operation knows its endpoint family (which selects the refusal-code table) and whether
it moves money (which forbids resending it once it may have reached the server).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Generic, Literal, Optional, TypeVar, overload

from ._codes import Family
from ._exceptions import InvalidRequestError
from ._models import PaymentResponse, Transaction, WalletOtpResponse
from ._wire import mask_phone

__all__ = [
    "CLIENT_PAYOUT",
    "DIRECT_PAYIN",
    "HOSTED_PAYIN",
    "MERCHANT_PAYOUT",
    "MERCHANT_PAYOUT_STATUS_LEGACY",
    "STATUS_OPERATIONS",
    "WALLET_OTP",
    "WALLET_PAYIN",
    "Operation",
    "PayinOrder",
    "RequestSpec",
    "ResultT",
    "TransactionType",
    "build_payin_body",
    "build_payout_body",
    "status_spec",
    "wallet_otp_spec",
]

TransactionType = Literal["payin", "client_payout", "merchant_payout"]
ParseAs = Literal["payment", "transaction", "wallet_otp"]
#: What a request spec's answer is read into: ``PaymentResponse`` or ``Transaction``.
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Operation:
    """One endpoint: its name in errors and logs, method, path and retry safety."""

    name: str
    family: Family
    method: Literal["GET", "POST"]
    path: str
    #: A status read can be sent again; a creation may move money and must not be resent
    #: once any byte of it may have reached the server.
    idempotent: bool
    token_param: Optional[str] = None
    #: The API version root the path lives under: ``base_url`` is the ``v01`` root, and
    #: the LigdiCash Wallet endpoints live under ``…/pay/v02/`` beside it.
    version: Literal["v01", "v02"] = "v01"
    #: The answer is ``{"error": bool, "message": str}`` (``debitotp``) rather than a
    #: ``response_code`` object.
    flagged_answer: bool = False


HOSTED_PAYIN = Operation(
    "hosted_payin", "payin", "POST", "redirect/checkout-invoice/create", idempotent=False
)
DIRECT_PAYIN = Operation(
    "direct_payin", "payin", "POST", "straight/checkout-invoice/create", idempotent=False
)
CLIENT_PAYOUT = Operation(
    "client_payout", "client_payout", "POST", "withdrawal/create", idempotent=False
)
MERCHANT_PAYOUT = Operation(
    "merchant_payout", "merchant_payout", "POST", "straight/payout", idempotent=False
)
STATUS_OPERATIONS: dict[str, Operation] = {
    "payin": Operation(
        "payin_status",
        "status",
        "GET",
        "redirect/checkout-invoice/confirm/",
        idempotent=True,
        token_param="invoiceToken",
    ),
    "client_payout": Operation(
        "client_payout_status",
        "status",
        "GET",
        "withdrawal/confirm/",
        idempotent=True,
        token_param="withdrawalToken",
    ),
    # The provider's reference documents ONE payout status route for both kinds
    # ("Token returned by the payout creation endpoint (/withdrawal/create or
    # /straight/payout)"): it is tried first; MERCHANT_PAYOUT_STATUS_LEGACY is the
    # fallback (see ``RequestSpec.fallback``).
    "merchant_payout": Operation(
        "merchant_payout_status",
        "status",
        "GET",
        "withdrawal/confirm/",
        idempotent=True,
        token_param="withdrawalToken",
    ),
}
#: The merchant-payout status route the SDK used before, which the docs never list but
#: which answered: asked when the documented route answers not-found or HTTP 404.
MERCHANT_PAYOUT_STATUS_LEGACY = Operation(
    "merchant_payout_status",
    "status",
    "GET",
    "straight/payout/confirm/",
    idempotent=True,
    token_param="payoutToken",
)
_STATUS_FALLBACKS: dict[str, Operation] = {"merchant_payout": MERCHANT_PAYOUT_STATUS_LEGACY}

#: LigdiCash Wallet, step 1: ``GET …/pay/v02/debitotp/{phone}/{amount}`` texts the
#: customer an OTP. Not resent once it may have left: a second text may void the first.
WALLET_OTP = Operation(
    "wallet_otp", "payin", "GET", "debitotp/", idempotent=False, version="v02", flagged_answer=True
)
#: LigdiCash Wallet, step 2: the direct-payin body with ``customer`` and ``otp``.
WALLET_PAYIN = Operation(
    "wallet_payin", "payin", "POST", "debitwallet/withotp", idempotent=False, version="v02"
)


class RequestSpec(Generic[ResultT]):
    """Everything needed to send one operation, before credentials and URL are applied.

    Generic in what its answer is read into: ``RequestSpec(op, "payment", body=...)`` is a
    ``RequestSpec[PaymentResponse]``, ``RequestSpec(op, "transaction", params=...)`` a
    ``RequestSpec[Transaction]``, and ``client._request(spec)`` returns that type: no cast.

    Attributes:
        operation: the endpoint.
        parse: reads the answer into the result model, from its snake_cased keys and
            the raw JSON object (``from_normalized``).
        params: query parameters (status calls).
        body: the JSON body (creations and payouts); never in the repr (it holds the OTP).
        path: the path with its parameters filled in, when the operation has path
            parameters (``debitotp/{phone}/{amount}``); ``None`` uses ``operation.path``.
        shown_path: ``path`` as records and errors show it (the phone number masked).
        fallback: the same call on another route, asked when this one answers not-found
            or HTTP 404 (only for status reads, which are safe to repeat); its answer is
            read with this spec's ``parse``.
    """

    __slots__ = ("body", "fallback", "operation", "params", "parse", "path", "shown_path")

    operation: Operation
    parse: Callable[[Mapping[str, Any], Mapping[str, Any]], ResultT]
    params: dict[str, str]
    body: Optional[dict[str, Any]]
    path: Optional[str]
    shown_path: Optional[str]
    fallback: Optional[RequestSpec[ResultT]]

    @overload
    def __init__(
        self: RequestSpec[PaymentResponse],
        operation: Operation,
        parse_as: Literal["payment"],
        params: Optional[dict[str, str]] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None: ...

    @overload
    def __init__(
        self: RequestSpec[Transaction],
        operation: Operation,
        parse_as: Literal["transaction"],
        params: Optional[dict[str, str]] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None: ...

    @overload
    def __init__(
        self: RequestSpec[WalletOtpResponse],
        operation: Operation,
        parse_as: Literal["wallet_otp"],
        params: Optional[dict[str, str]] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None: ...

    def __init__(
        self,
        operation: Operation,
        parse_as: ParseAs,
        params: Optional[dict[str, str]] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None:
        self.operation = operation
        self.parse = _PARSERS[parse_as]
        self.params = params or {}
        self.body = body
        self.path = None
        self.shown_path = None
        self.fallback = None

    def __repr__(self) -> str:
        return f"RequestSpec(operation={self.operation.name!r}, params={self.params!r})"


_PARSERS: dict[str, Any] = {
    "payment": PaymentResponse.from_normalized,
    "transaction": Transaction.from_normalized,
    "wallet_otp": WalletOtpResponse.from_normalized,
}


def status_spec(token: str, type: str) -> RequestSpec[Transaction]:
    """The status call for ``token`` of transaction ``type``.

    Raises:
        InvalidRequestError: ``type`` is not one of the three names (whatever its type).
    """
    operation = STATUS_OPERATIONS.get(type) if isinstance(type, str) else None
    if operation is None or operation.token_param is None:
        shown = repr(type[:40]) if isinstance(type, str) else "that value"
        raise InvalidRequestError(
            f"unknown transaction type {shown}: use 'payin', 'client_payout' or 'merchant_payout'"
        )
    spec = RequestSpec(operation, "transaction", params={operation.token_param: token})
    spec.parse = functools.partial(_transaction_for, token)
    other = _STATUS_FALLBACKS.get(type)
    if other is not None and other.token_param is not None:
        spec.fallback = RequestSpec(other, "transaction", params={other.token_param: token})
    return spec


def _transaction_for(token: str, data: Any, payload: Any) -> Transaction:
    """The status answer for ``token``, which keeps the token it was asked about: the
    documented payin status answer's ``token`` is empty ("Empty in the confirm response")."""
    transaction = Transaction.from_normalized(data, payload)
    return transaction if transaction.token else dataclasses.replace(transaction, token=token)


def wallet_otp_spec(phone: str, amount: int) -> RequestSpec[WalletOtpResponse]:
    """``GET debitotp/{phone}/{amount}`` for an already checked number and amount."""
    spec = RequestSpec(WALLET_OTP, "wallet_otp")
    spec.path = f"{WALLET_OTP.path}{phone}/{amount}"
    # The number is personal data: records (which travel with errors) show it masked.
    spec.shown_path = f"{WALLET_OTP.path}{mask_phone(phone)}/{amount}"
    return spec


@dataclass(frozen=True)
class PayinOrder:
    """What a payin body says about the order, the same for every way of paying it: an
    invoice's lines (as the wire expects them), total and descriptive fields, all checked."""

    items: Sequence[dict[str, Any]]
    total_amount: int
    currency: str
    description: str
    customer_firstname: str
    customer_lastname: str
    customer_email: str
    external_id: str
    store_name: str
    store_website_url: str


def build_payin_body(
    order: PayinOrder,
    *,
    customer: str,
    otp: str,
    actions: dict[str, str],
    custom_data: dict[str, Any],
) -> dict[str, Any]:
    """The ``{"commande": ...}`` body of every payin flow: ``order``, and how it is paid
    (the payer's number, the OTP, the flow's URLs, the caller's ``custom_data``).

    Every key is present, ``""`` when unset: the server is PHP and answers a missing key
    with an ``Undefined array key`` refusal.
    """
    return {
        "commande": {
            "invoice": {
                "items": list(order.items),
                "total_amount": order.total_amount,
                "devise": order.currency,
                "description": order.description,
                "customer": customer,
                "customer_firstname": order.customer_firstname,
                "customer_lastname": order.customer_lastname,
                "customer_email": order.customer_email,
                "external_id": order.external_id,
                "otp": otp,
            },
            "store": {"name": order.store_name, "website_url": order.store_website_url},
            "actions": actions,
            "custom_data": custom_data,
        }
    }


def build_payout_body(
    *,
    amount: int,
    description: str,
    customer: str,
    custom_data: dict[str, Any],
    callback_url: str,
    top_up_wallet: Optional[bool],
) -> dict[str, Any]:
    """The ``{"commande": ...}`` body of a payout; ``top_up_wallet`` only for client payouts."""
    command: dict[str, Any] = {
        "amount": amount,
        "description": description,
        "customer": customer,
        "custom_data": custom_data,
        "callback_url": callback_url,
    }
    if top_up_wallet is not None:
        command["top_up_wallet"] = 1 if top_up_wallet else 0
    return {"commande": command}
