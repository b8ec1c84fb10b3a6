"""Checks run on user input before any request is built.

Each check either returns the normalised value that goes on the wire or raises an
:class:`InvalidRequestError` subclass that names the parameter, so a mistake is reported at
the line that made it and never reaches LigdiCash.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Optional, Union

from ._exceptions import InvalidAmountError, InvalidRequestError, InvalidTokenError

__all__ = [
    "MAX_AMOUNT",
    "MAX_CUSTOM_DATA_DEPTH",
    "MAX_TOKEN_LENGTH",
    "MIN_AMOUNT",
    "Amount",
    "Secret",
    "check_custom_data",
    "check_otp",
    "check_quantity",
    "check_text",
    "check_token",
    "check_total",
    "to_francs",
    "to_phone",
]

Amount = Union[int, float, Decimal]

#: The widest range the provider documents (createInvoice ``Echec (Code02)``: "Wrong amount
#: (must be between 9 and 2,000,000)"); operators' own minimums (10, 100, 200) and maximums sit
#: inside it. Only what EVERY documented range refuses is refused here, before sending: an
#: amount one operator accepts must reach LigdiCash, whose refusal is ``InvalidAmountError``.
#: Source and details: docs/wire-contract.md, "Amounts".
MIN_AMOUNT = 9
MAX_AMOUNT = 2_000_000
#: Amounts and quantities beyond this are refused before any arithmetic: the API's range
#: ends at 2,000,000, and a ``Decimal("1E+1000000")`` must not cost seconds to reject.
_MAX_MAGNITUDE = 10**15
_MAX_MAGNITUDE_BITS = _MAX_MAGNITUDE.bit_length()
_MAX_MAGNITUDE_DIGITS = len(str(_MAX_MAGNITUDE)) - 1
#: ``custom_data`` nesting deeper than this is refused (JSON encoding would recurse).
MAX_CUSTOM_DATA_DEPTH = 32
#: Creation tokens run to ~1,000 characters; URLs over 64 KiB are refused by httpx.
MAX_TOKEN_LENGTH = 4096

_PHONE_ALLOWED = re.compile(r"^\+?[\d\s().\-]+$", re.ASCII)


class Secret(str):
    """A string whose ``repr`` is redacted: the OTP travels as one, so that the request
    body, and every frame that holds it, shows ``'[redacted]'`` in tracebacks with locals
    (what error trackers capture). ``str()``, JSON encoding and comparisons see the value.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'[redacted]'"


def _shown(value: Any) -> str:
    """A short ``repr`` for an error message: a hostile value can be megabytes long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _too_large(name: str) -> InvalidAmountError:
    return InvalidAmountError(f"{name} is far outside the accepted range of amounts")


def to_francs(value: Any, name: str = "amount", *, minimum: int = 0) -> int:
    """Return ``value`` as whole CFA francs, or raise :class:`InvalidAmountError`.

    Accepts an int, or a float/Decimal with no fractional part (``1500.0``); refuses
    ``1500.5``, strings, booleans, anything below ``minimum``, and magnitudes far beyond
    the API's range (checked from the bit length or exponent, in constant time, before any
    conversion).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidAmountError(
            f"{name} must be a whole number of CFA francs (int), got {type(value).__name__}"
        )
    if isinstance(value, int):
        if value.bit_length() > _MAX_MAGNITUDE_BITS:
            raise _too_large(name)
        francs = int(value)
    else:
        if isinstance(value, float):
            if math.isfinite(value) and abs(value) > _MAX_MAGNITUDE:
                raise _too_large(name)
            number = Decimal(repr(value))
        else:
            number = value
        if not number.is_finite():
            raise InvalidAmountError(f"{name} must be a finite number, got {_shown(value)}")
        if number.is_zero():  # ``0E+1000000`` included
            francs = 0
        else:
            # adjusted() is the exponent of the leading digit: read, not computed.
            if number.adjusted() > _MAX_MAGNITUDE_DIGITS:
                raise _too_large(name)
            if number.adjusted() < 0 or number != number.to_integral_value():
                raise InvalidAmountError(
                    f"{name} must be whole CFA francs (XOF has no cents), got {_shown(value)}"
                )
            francs = int(number)
    if francs < minimum:
        raise InvalidAmountError(f"{name} must be at least {minimum}, got {francs}")
    return francs


def check_quantity(value: Any, name: str = "item quantity") -> int:
    """Return ``value`` if it is an int of at least 1 and of sane size, else raise.

    Raises:
        InvalidRequestError: not an int, below 1, or far beyond any real quantity.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be an int, got {type(value).__name__}")
    if value.bit_length() > _MAX_MAGNITUDE_BITS:
        raise InvalidAmountError(f"{name} is far outside the accepted range")
    if value < 1:
        raise InvalidRequestError(f"{name} must be at least 1, got {value}")
    return int(value)


def check_total(total: int, name: str = "total amount") -> int:
    """Raise :class:`InvalidAmountError` unless ``total`` is within [9; 2,000,000], the
    widest range LigdiCash documents (payins and payouts alike)."""
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
    """Return the token stripped, or raise :class:`InvalidTokenError`.

    Refused: missing or blank, longer than :data:`MAX_TOKEN_LENGTH`, or holding whitespace,
    control or unencodable characters inside (the token goes into a URL; real tokens are
    ASCII, and the rest is percent-encoded).
    """
    if not isinstance(token, str) or not token.strip():
        raise InvalidTokenError(
            "token is missing: pass the token returned when the transaction was created"
        )
    if len(token) > MAX_TOKEN_LENGTH * 2:  # before strip(): bounded work
        raise InvalidTokenError(f"token is longer than {MAX_TOKEN_LENGTH} characters")
    stripped = token.strip()
    if len(stripped) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError(f"token is longer than {MAX_TOKEN_LENGTH} characters")
    if not stripped.isprintable() or any(c.isspace() for c in stripped):
        raise InvalidTokenError(
            "token must be printable, without spaces or control characters, as returned at creation"
        )
    return stripped


def _check_depth(value: Any, limit: int) -> None:
    # Iterative, so hostile nesting cannot exhaust the stack; a cycle hits the limit too.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (Mapping, list, tuple)):
            if depth >= limit:
                raise InvalidRequestError(
                    f"custom_data is nested deeper than {limit} levels (or refers to itself)"
                )
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)


def check_custom_data(value: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Return ``custom_data`` as a dict after checking it serialises to UTF-8 JSON.

    Raises:
        InvalidRequestError: not a dict, nested deeper than :data:`MAX_CUSTOM_DATA_DEPTH`,
            or not serialisable (objects, NaN, lone surrogates, giant ints, cycles).
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError("custom_data must be a dict")
    data = dict(value)
    _check_depth(data, MAX_CUSTOM_DATA_DEPTH)
    try:
        # The same encoding the request uses, so a lone surrogate fails here, not mid-send.
        json.dumps(data, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        reason = str(exc)[:120]
        raise InvalidRequestError(f"custom_data must be JSON-serialisable: {reason}") from None
    return data


def check_text(value: Any, name: str) -> str:
    """Return ``value`` if it is a string (``None`` → ``""``) encodable as UTF-8, else raise.

    Raises:
        InvalidRequestError: not a string, or holding a lone surrogate (``"\\ud800"``),
            which could not be sent.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(
            f"{name} holds a character that cannot be encoded (a lone surrogate)"
        ) from None
    return str(value)


def check_otp(value: Any) -> Secret:
    """The OTP, stripped, as a :class:`Secret` (``""`` for approval-mode operators).

    Raises:
        InvalidRequestError: not a string or not encodable; the message never shows it.
    """
    return Secret(check_text(value, "otp").strip())
