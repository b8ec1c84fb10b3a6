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
from ._models import PaymentResponse, Transaction

__all__ = [
    "CLIENT_PAYOUT",
    "DIRECT_PAYIN",
    "HOSTED_PAYIN",
    "MERCHANT_PAYOUT",
    "STATUS_OPERATIONS",
    "Operation",
    "RequestSpec",
    "ResultT",
    "TransactionType",
    "build_payin_body",
    "build_payout_body",
    "status_spec",
]

TransactionType = Literal["payin", "client_payout", "merchant_payout"]
ParseAs = Literal["payment", "transaction"]
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
    "merchant_payout": Operation(
        "merchant_payout_status",
        "status",
        "GET",
        "straight/payout/confirm/",
        idempotent=True,
        token_param="payoutToken",
    ),
}


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
    """

    __slots__ = ("body", "operation", "params", "parse")

    operation: Operation
    parse: Callable[[Mapping[str, Any], Mapping[str, Any]], ResultT]
    params: dict[str, str]
    body: Optional[dict[str, Any]]

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

    def __repr__(self) -> str:
        return f"RequestSpec(operation={self.operation.name!r}, params={self.params!r})"


_PARSERS: dict[str, Any] = {
    "payment": PaymentResponse.from_normalized,
    "transaction": Transaction.from_normalized,
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
    return spec


def _transaction_for(token: str, data: Any, payload: Any) -> Transaction:
    """The status answer for ``token``, which keeps the token it was asked about: the
    documented payin status answer's ``token`` is empty ("Empty in the confirm response")."""
    transaction = Transaction.from_normalized(data, payload)
    return transaction if transaction.token else dataclasses.replace(transaction, token=token)


def build_payin_body(
    *,
    items: Sequence[dict[str, Any]],
    total_amount: int,
    currency: str,
    description: str,
    customer: str,
    customer_firstname: str,
    customer_lastname: str,
    customer_email: str,
    external_id: str,
    otp: str,
    store_name: str,
    store_website_url: str,
    actions: dict[str, str],
    custom_data: dict[str, Any],
) -> dict[str, Any]:
    """The ``{"commande": ...}`` body of both payin flows.

    Every key is present, ``""`` when unset: the server is PHP and answers a missing key
    with an ``Undefined array key`` refusal.
    """
    return {
        "commande": {
            "invoice": {
                "items": list(items),
                "total_amount": total_amount,
                "devise": currency,
                "description": description,
                "customer": customer,
                "customer_firstname": customer_firstname,
                "customer_lastname": customer_lastname,
                "customer_email": customer_email,
                "external_id": external_id,
                "otp": otp,
            },
            "store": {"name": store_name, "website_url": store_website_url},
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
