"""Pure functions that read LigdiCash's loosely-shaped JSON.

The real API mixes snake_case and camelCase (``operatorName``, ``responseCode``, even
``Status``), returns ``custom_data`` as a list of records or as an object, amounts as ints,
floats or strings (``"31500.00"``), ``wiki`` as a string or a list, and ``null`` anywhere.
Every model and the callback parser read the wire through these helpers, so a new quirk is
fixed in one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

__all__ = [
    "mask_phone",
    "normalize_custom_data",
    "normalize_keys",
    "normalize_status",
    "parse_amount",
    "parse_wiki",
    "read_amount",
    "short_token",
    "split_custom_data",
    "text",
]

#: The ``custom_data`` keys LigdiCash adds to every merchant's array ("LigdiCash always
#: adds hash and logfile", callback pages): theirs, not the merchant's.
PROVIDER_CUSTOM_DATA_KEYS = frozenset({"hash", "logfile"})

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")

# Final statuses as the server spells them, mapped onto the documented vocabulary.
_STATUS_WORDS = {
    "completed": "completed",
    "complete": "completed",
    "success": "completed",
    "pending": "pending",
    "nocompleted": "cancelled",
    "notcompleted": "cancelled",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}


@functools.lru_cache(maxsize=512)  # ~20 keys per answer, read 3 times: 60 µs -> 5 µs a call
def snake_case(key: str) -> str:
    """``operatorName`` → ``operator_name``; ``Status`` → ``status``."""
    return _CAMEL_RE.sub(r"_\1", key).lower()


def normalize_keys(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the payload with snake_case keys; an existing snake_case key wins over a variant."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if not isinstance(key, str):
            continue
        snake = snake_case(key)
        if snake == key or snake not in out or out[snake] is None:
            out[snake] = value
    # ``customdata`` (no underscore) was seen too; the provider's SDK read it.
    if out.get("custom_data") is None and "customdata" in out:
        out["custom_data"] = out["customdata"]
    return out


def text(value: Any) -> str:
    """A wire value as a string: ``None`` → ``""``, numbers → their text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_amount(value: Any) -> Optional[int]:
    """Read an amount (``31500``, ``31500.0``, ``"31500.00"``, ``"31 500"``) as whole francs.

    Returns ``None`` when there is no usable amount. CFA francs have no subunit, so a
    fractional value (never seen in XOF) is rounded to the nearest franc.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        else:
            cleaned = str(value).strip().replace(" ", "").replace("\u00a0", "")
            if not cleaned:
                return None
            number = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    try:
        return int(number.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    except ArithmeticError:  # beyond the decimal context's precision (``"1e30"``)
        return None


def read_amount(data: Mapping[str, Any]) -> Optional[int]:
    """The amount of a snake_cased answer or callback: ``amount``, else ``montant``."""
    amount = parse_amount(data.get("amount"))
    return amount if amount is not None else parse_amount(data.get("montant"))


def normalize_custom_data(value: Any) -> dict[str, Any]:
    """Turn either wire shape of ``custom_data`` into a plain dict.

    The list-of-records shape is ``[{"keyof_customdata": "transaction_id",
    "valueof_customdata": "ORD-1", ...}, ...]``; the object shape is already a dict.
    Anything else (``null``, ``[]``, a string) gives ``{}``.
    """
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for record in value:
            if not isinstance(record, Mapping):
                continue
            rec = normalize_keys(record)
            key = rec.get("keyof_customdata")
            if key is None:
                continue
            out[str(key)] = rec.get("valueof_customdata")
        return out
    return {}


def split_custom_data(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``custom_data`` in either wire shape, split into (the merchant's keys, LigdiCash's).

    LigdiCash adds its own records (``hash``, ``logfile``) to the merchant's array; they
    are kept apart so that they never read as the merchant's data, and never count as a
    difference between a callback and a status answer.
    """
    merchant: dict[str, Any] = {}
    provider: dict[str, Any] = {}
    for key, item in normalize_custom_data(value).items():
        (provider if key in PROVIDER_CUSTOM_DATA_KEYS else merchant)[key] = item
    return merchant, provider


def normalize_status(value: Any) -> str:
    """Map the server's status word onto ``completed``/``pending``/``cancelled``.

    ``nocompleted`` and ``notcompleted`` become ``cancelled``; an unknown word is kept
    (lower-cased) so nothing is silently turned into a success or a failure.
    """
    word = text(value).strip().lower()
    return _STATUS_WORDS.get(word, word)


def parse_wiki(value: Any) -> list[str]:
    """``wiki`` as a list of links, from a string, a list or a mapping of links."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text(v) for v in value.values() if v not in (None, "")]
    if isinstance(value, (list, tuple)):
        return [text(v) for v in value if v not in (None, "")]
    return [text(value)]


def mask_phone(number: str) -> str:
    """``22670123456`` → ``226*****456``: enough to recognise, not enough to reuse."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


def mask_email(address: str) -> str:
    """``firstname.lastname@example.com`` → ``f***@example.com``."""
    local, at, domain = address.partition("@")
    return (local[:1] + "***" + at + domain) if at else "*" * min(len(address), 8)


def mask_name(name: str) -> str:
    """``Firstname`` → ``F***``: a customer's name is theirs, not the log's."""
    return name[:1] + "***" if name else name


def short_token(token: str) -> str:
    """A token cut to 20 characters for reprs and logs (tokens run to 1,000 characters)."""
    return token if len(token) <= 24 else token[:20] + "..."
