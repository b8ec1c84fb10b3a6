"""Checks run on user input before any request is built.

Each check either returns the normalised value that goes on the wire or raises an
:class:`InvalidRequestError` subclass that names the parameter, so a mistake is reported at
the line that made it and never reaches LigdiCash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Optional, Union

from ._exceptions import InvalidAmountError, InvalidRequestError, InvalidTokenError

__all__ = [
    "MAX_AMOUNT",
    "MIN_AMOUNT",
    "Amount",
    "check_custom_data",
    "check_token",
    "check_total",
    "to_francs",
    "to_phone",
]

Amount = Union[int, float, Decimal]

MIN_AMOUNT = 20
MAX_AMOUNT = 1_000_000

_PHONE_ALLOWED = re.compile(r"^\+?[\d\s().\-]+$")


def to_francs(value: Any, name: str = "amount", *, minimum: int = 0) -> int:
    """Return ``value`` as whole CFA francs, or raise :class:`InvalidAmountError`.

    Accepts an int, or a float/Decimal with no fractional part (``1500.0``); refuses
    ``1500.5``, strings, booleans and anything below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidAmountError(
            f"{name} must be a whole number of CFA francs (int), got {type(value).__name__}"
        )
    if isinstance(value, int):
        francs = value
    else:
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite() or number != number.to_integral_value():
            raise InvalidAmountError(
                f"{name} must be whole CFA francs (XOF has no cents), got {value!r}"
            )
        francs = int(number)
    if francs < minimum:
        raise InvalidAmountError(f"{name} must be at least {minimum}, got {francs}")
    return francs


def check_total(total: int, name: str = "total amount") -> int:
    """Raise :class:`InvalidAmountError` unless ``total`` is within [20; 1,000,000]."""
    if not MIN_AMOUNT <= total <= MAX_AMOUNT:
        raise InvalidAmountError(
            f"{name} {total} is outside the [{MIN_AMOUNT}; {MAX_AMOUNT:,}] CFA francs range"
        )
    return total


def to_phone(value: Any, name: str = "customer", *, required: bool) -> str:
    """Normalise a phone number to the digits LigdiCash expects (``22670123456``).

    ``+226 70 12 34 56``, ``0022670123456`` and ``22670123456`` all give ``22670123456``.
    Letters or other symbols are refused; so is an empty number when ``required``.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a phone number as a string")
    stripped = value.strip()
    if not stripped:
        if required:
            raise InvalidRequestError(f"{name} is required: the customer's phone number")
        return ""
    if not _PHONE_ALLOWED.match(stripped) or stripped.count("+") > 1:
        raise InvalidRequestError(
            f"{name} must contain only digits (spaces, '+', '-' and dots are ignored)"
        )
    digits = re.sub(r"\D", "", stripped)
    if digits.startswith("00"):
        digits = digits[2:]
    if not 8 <= len(digits) <= 15:
        raise InvalidRequestError(
            f"{name} must have 8 to 15 digits with the country code, e.g. 22670123456"
        )
    return digits


def check_token(token: Any) -> str:
    """Return the token stripped, or raise :class:`InvalidTokenError` if missing or blank."""
    if not isinstance(token, str) or not token.strip():
        raise InvalidTokenError(
            "token is missing: pass the token returned when the transaction was created"
        )
    return token.strip()


def check_custom_data(value: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Return ``custom_data`` as a dict after checking it serialises to JSON."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError("custom_data must be a dict")
    data = dict(value)
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"custom_data must be JSON-serialisable: {exc}") from None
    return data


def check_text(value: Any, name: str) -> str:
    """Return ``value`` if it is a string (``None`` → ``""``), else raise."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}")
    return value
