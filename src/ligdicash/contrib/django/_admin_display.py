"""How the Django admin shows the store's rows: masked tokens, readable times, callback
bodies decoded with the customer's number and the hash masked, and which inbox entries an
operator may send back to the processor.

Pure functions (no database, no request): the admin classes in ``admin.py`` call them, and
the tests call them directly on the hostile cases.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Optional

from django.conf import settings  # type: ignore[import-untyped,unused-ignore]
from django.utils import formats  # type: ignore[import-untyped,unused-ignore]
from django.utils import timezone as django_timezone  # type: ignore[import-untyped,unused-ignore]
from django.utils.translation import gettext  # type: ignore[import-untyped,unused-ignore]

from ..._callbacks import parse_callback
from ..._exceptions import LigdicashError
from ..._wire import mask_phone

__all__ = [
    "EMPTY",
    "GAVE_UP",
    "callback_body",
    "format_amount",
    "format_epoch",
    "mask_token",
    "retry_refusal",
]

#: What the admin shows for a time that was never set (``0.0``) or a missing token.
EMPTY = "—"
#: The prefix of the outcome ``contrib._inbox`` writes when it stops retrying an entry
#: (``gave_up:<outcome>:<reason>``, after ``max_attempts`` failed attempts).
GAVE_UP = "gave_up:"


def mask_token(token: Optional[str]) -> str:
    """``abcd…wxyz``: the first and last 4 characters of a payment token, never the rest
    (a token of 12 characters or fewer is all stars: 8 shown would be most of it)."""
    if not token:
        return EMPTY
    if len(token) <= 12:
        return "*" * len(token)
    return f"{token[:4]}…{token[-4:]}"


def format_epoch(seconds: float) -> str:
    """A float epoch column (``next_poll_at``, ``lease_until``...) as a date and time in the
    site's time zone and the active language's format; ``—`` for 0 (never set)."""
    if not seconds:
        return EMPTY
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    if getattr(settings, "USE_TZ", False):
        moment = django_timezone.localtime(moment)
    else:  # naive local time, as Django shows datetimes without USE_TZ
        moment = moment.astimezone().replace(tzinfo=None)
    return str(formats.date_format(moment, "DATETIME_FORMAT"))


def format_amount(amount: int) -> str:
    """An amount with the active language's digit grouping (``31,500`` / ``31 500``)."""
    return str(formats.number_format(int(amount), force_grouping=True))


#: Keys (any depth, any case) whose value is a phone number, shown as ``226*****456``.
PHONE_KEYS = frozenset({"customer", "phone", "msisdn", "telephone", "numero", "tel"})
#: Keys whose value is secret or personal enough to withhold whole.
WITHHELD_KEYS = frozenset({"hash", "otp", "email", "api_key", "auth_token", "password"})


def _mask_tree(value: Any, token: str) -> Any:
    # Callback.redacted() masks the top-level number, withholds the hash and cuts the token
    # to 20 characters; but the documented payin callback also carries
    # customer_details.phone and .email, which it leaves as they are. The admin masks
    # by key at every depth, and shows the token as 4 + 4 characters like the list.
    if isinstance(value, list):
        return [_mask_tree(item, token) for item in value]
    if not isinstance(value, dict):
        return value
    shown: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key).lower()
        if name == "token" and isinstance(item, str):
            shown[key] = mask_token(token or item)
        elif name in PHONE_KEYS and isinstance(item, (str, int, float)) and str(item):
            shown[key] = mask_phone(str(item))
        elif name in WITHHELD_KEYS and item not in (None, ""):
            shown[key] = "<redacted>"
        else:
            shown[key] = _mask_tree(item, token)
    return shown


def callback_body(body: bytes, content_type: str) -> str:
    """A stored callback's body as indented JSON, the customer's number and the hash masked,
    the token cut to 4 + 4 characters. A body the SDK cannot parse is not shown at all (it
    may hold anything): only its size."""
    try:
        callback = parse_callback(bytes(body), content_type)
        shown = _mask_tree(callback.redacted(), callback.token)
        return json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    except (LigdicashError, ValueError, TypeError):
        message = gettext("(not a callback the SDK can read: %(size)d bytes, not shown)")
        return str(message) % {"size": len(body)}


def retry_refusal(state: str, outcome: str, lease_until: float, now: float) -> Optional[str]:
    """Why an inbox entry may not be retried, or ``None`` when it may.

    Retried: an entry ``done`` whose outcome is ``gave_up:...`` (the processor stopped after
    ``max_attempts``: the status call kept failing, or the handler kept raising), and an
    entry still ``pending``, or ``processing`` under a lapsed lease (its worker died). Never
    an entry ``done`` otherwise (it was handled, or refused for good: a retry could only
    repeat that), nor one a worker holds right now.
    """
    if state == "done":
        if outcome.startswith(GAVE_UP):
            return None
        message = gettext("it was handled (%(outcome)s): nothing to retry")
        return str(message) % {"outcome": outcome or "done"}
    if state == "pending":
        return None
    if state == "processing" and lease_until <= now:
        return None
    message = gettext("a worker is processing it right now (lease until %(until)s)")
    return str(message) % {"until": format_epoch(lease_until)}
