"""Reading API request bodies the way the PHP backend does, and refusing what it would refuse.

Each ``parse_*`` function returns a plain description of the request or raises ``Refused``
carrying the exact JSON refusal to send back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import _codes
from ._codes import Family
from ._operators import (
    MAX_AMOUNT,
    MIN_AMOUNT,
    VALID_OTP,
    Operator,
    normalise_number,
    operator_for,
)

MAX_ITEM_NUMBER = 10**12
"""An item's quantity or unit price beyond this is refused as an invalid amount."""
MAX_DEPTH = 512
"""PHP's ``json_decode`` gives up past 512 levels (and answers as if the body were empty)."""

INVOICE_KEYS = (
    "items",
    "total_amount",
    "devise",
    "description",
    "customer_firstname",
    "customer_lastname",
    "customer_email",
)
DIRECT_INVOICE_KEYS = ("customer", "otp")
ITEM_KEYS = ("name", "quantity", "unit_price")
STORE_KEYS = ("name", "website_url")
HOSTED_ACTION_KEYS = ("cancel_url", "return_url", "callback_url")
DIRECT_ACTION_KEYS = ("callback_url",)
PAYOUT_KEYS = ("amount", "description", "customer", "custom_data", "callback_url")


class Refused(Exception):
    """The request is refused; ``answer`` is the JSON object to send (with HTTP 200)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["response_text"])
        self.answer = answer


@dataclass
class PayinRequest:
    """A valid payin creation request."""

    flow: str
    amount: int
    currency: str
    description: str
    customer: str
    external_id: str
    otp: str
    operator: Operator | None
    custom_data: dict[str, Any]
    details: dict[str, Any]
    callback_url: str
    return_url: str = ""
    cancel_url: str = ""


@dataclass
class PayoutRequest:
    """A valid payout creation request (client or merchant)."""

    kind: str
    amount: int
    description: str
    customer: str
    custom_data: dict[str, Any]
    callback_url: str
    to_wallet: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class NotFinite(ValueError):
    """The JSON holds a number no float can hold (``1e999``)."""


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotFinite(f"number out of range: {text[:40]}")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_tree(value: Any) -> None:
    """Refuse what PHP's ``json_decode`` refuses: more than 512 levels, and a lone UTF-16
    surrogate (``"\\ud800"``, JSON_ERROR_UTF16), which nothing downstream could encode."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, str):
            node.encode("utf-8")  # UnicodeEncodeError is a ValueError
        elif isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def decode_json(raw: bytes) -> Any:
    """``raw`` as JSON with the limits of the PHP backend: finite numbers (``NotFinite``),
    integers of at most 4,300 digits, at most 512 levels, no lone surrogates; raises
    ``ValueError`` otherwise, never ``RecursionError``."""
    try:
        value = json.loads(raw, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(value)
    return value


def decode_body(raw: bytes, family: Family) -> Any:
    """A create request's JSON body, or None where PHP's ``json_decode`` would give null
    (not JSON, too deep: the refusal then names the first missing key).

    A number out of float range is refused at once as an invalid amount (``Refused``).
    """
    if not raw.strip():
        return None
    try:
        return decode_json(raw)
    except NotFinite:
        detail = "A number in the request is out of range"
        raise Refused(_codes.refusal(family, _codes.AMOUNT.get(family, "04"), detail)) from None
    except ValueError:
        return None


def _get(mapping: Any, key: str, family: Family) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise Refused(_codes.missing_key(family, key))
    return mapping[key]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _amount(value: Any, family: Family) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = float("nan")
    if not (MIN_AMOUNT <= number <= MAX_AMOUNT) or number != int(number):
        raise Refused(_amount_refusal(family, MIN_AMOUNT))
    return int(number)


def _amount_refusal(family: Family, minimum: int) -> dict[str, Any]:
    # The provider's wording (sub-codes page): "Wrong amount (must be between 9 and 2,000,000)".
    detail = f"Wrong amount (must be between {minimum:,} and {MAX_AMOUNT:,})"
    return _codes.refusal(family, _codes.AMOUNT[family], detail)


def _item_number(value: Any, key: str, family: Family) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return
    try:
        number = float(value)
    except ValueError:  # PHP reads a word as 0; the total is what gets checked
        return
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > MAX_ITEM_NUMBER:
        detail = f"The item's {key} is out of range"
        raise Refused(_codes.refusal(family, _codes.AMOUNT[family], detail))


def custom_data_dict(value: Any) -> dict[str, Any]:
    """``custom_data`` as a dict (a PHP list becomes ``{"0": ...}``; other values: empty)."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def parse_payin(body: Any, flow: str, platform: str) -> PayinRequest:
    """Validate a hosted (``flow="hosted"``), direct (``"direct"``) or LigdiCash Wallet
    (``"wallet"``: the direct body, the wallet and OTP checked by the caller) payin body."""
    family: Family = "payin"
    commande = _get(body, "commande", family)
    invoice = _get(commande, "invoice", family)
    for key in INVOICE_KEYS + (DIRECT_INVOICE_KEYS if flow != "hosted" else ()):
        _get(invoice, key, family)
    items = invoice["items"]
    clean_items = []
    for item in items if isinstance(items, list) else []:
        for key in ITEM_KEYS:
            _get(item, key, family)
        _item_number(item["quantity"], "quantity", family)
        _item_number(item["unit_price"], "unit_price", family)
        clean_items.append(
            {
                "name": _text(item["name"]),
                "description": _text(item.get("description")),
                "quantity": item["quantity"],
                "unit_price": item["unit_price"],
                "total_price": item.get("total_price"),
            }
        )
    store = _get(commande, "store", family)
    for key in STORE_KEYS:
        _get(store, key, family)
    actions = _get(commande, "actions", family)
    for key in HOSTED_ACTION_KEYS if flow == "hosted" else DIRECT_ACTION_KEYS:
        _get(actions, key, family)
    custom_data = custom_data_dict(_get(commande, "custom_data", family))
    amount = _amount(invoice["total_amount"], family)

    customer = normalise_number(invoice.get("customer"))
    otp = _text(invoice.get("otp")).strip()
    operator = operator_for(customer) if customer else None
    if flow == "direct":
        if operator is None:
            code = _codes.UNKNOWN_OPERATOR_PAYIN[platform]
            detail = f"No operator found for the customer number {customer!r}"
            raise Refused(_codes.refusal(family, code, detail))
        if amount < operator.minimum:  # the operator's own documented minimum
            raise Refused(_amount_refusal(family, operator.minimum))
        if operator.mode == "otp" and not otp:
            detail = "You must specify password or otp"
            raise Refused(_codes.refusal(family, _codes.OTP_REFUSED, detail))
    return PayinRequest(
        flow=flow,
        amount=amount,
        currency=_text(invoice["devise"]) or "xof",
        description=_text(invoice["description"]),
        customer=customer,
        external_id=_text(invoice.get("external_id")),
        otp=otp,
        operator=operator,
        custom_data=custom_data,
        details={
            "items": clean_items,
            "store": {"name": _text(store["name"]), "website_url": _text(store["website_url"])},
            "customer_firstname": _text(invoice["customer_firstname"]),
            "customer_lastname": _text(invoice["customer_lastname"]),
            "customer_email": _text(invoice["customer_email"]),
            "otp_valid": otp == VALID_OTP,
        },
        callback_url=_text(actions["callback_url"]),
        return_url=_text(actions.get("return_url")),
        cancel_url=_text(actions.get("cancel_url")),
    )


def parse_payout(body: Any, kind: str) -> PayoutRequest:
    """Validate a client (``kind="client_payout"``) or merchant payout body."""
    family: Family = "client_payout" if kind == "client_payout" else "merchant_payout"
    commande = _get(body, "commande", family)
    keys = PAYOUT_KEYS + (("top_up_wallet",) if kind == "client_payout" else ())
    for key in keys:
        _get(commande, key, family)
    amount = _amount(commande["amount"], family)
    to_wallet = kind == "client_payout" and _text(commande["top_up_wallet"]) in ("1", "true")
    return PayoutRequest(
        kind=kind,
        amount=amount,
        description=_text(commande["description"]),
        customer=normalise_number(commande["customer"]),
        custom_data=custom_data_dict(commande["custom_data"]),
        callback_url=_text(commande["callback_url"]),
        to_wallet=to_wallet,
        details={"top_up_wallet": int(to_wallet)} if kind == "client_payout" else {},
    )
