"""The SDK's warnings: advice about the caller's code, emitted with :func:`warnings.warn`.

They are warnings, not log lines, because the calling code should change to make them go
away (the rule of Python's logging HOWTO): filter them by class
(``warnings.simplefilter("ignore", ligdicash.MissingCallbackUrlWarning)``), or turn them
into errors in a test suite (``-W error::ligdicash.LigdicashWarning``).
"""

from __future__ import annotations

import threading
import warnings

__all__ = ["LigdicashWarning", "MissingCallbackUrlWarning", "warn_missing_callback_url"]


class LigdicashWarning(UserWarning):
    """The base class of the SDK's warnings."""


class MissingCallbackUrlWarning(LigdicashWarning):
    """A payment or payout was created without ``callback_url``.

    LigdiCash documents ``callback_url`` as required on every creation endpoint: without it
    no callback ever comes, and only status polling tells you the outcome. The request is
    still sent (LigdiCash's own handling of an empty URL is undocumented, and refusing
    locally what the provider may accept would block a shop); the warning is given once per
    kind of creation (payin, payout) and process.
    """


_warned: set[str] = set()
_lock = threading.Lock()


def warn_missing_callback_url(kind: str, callback_url: str, *, stacklevel: int = 2) -> None:
    """Warn once per ``kind`` (``"payin"``, ``"payout"``) and process if ``callback_url`` is
    empty. ``stacklevel`` counts from the caller of this function."""
    if callback_url.strip():
        return
    with _lock:
        if kind in _warned:
            return
        _warned.add(kind)
    warnings.warn(
        f"this {kind} is created without callback_url: LigdiCash documents it as required, "
        "and without it no callback will come (only status polling tells the outcome). "
        "Pass callback_url=... (warned once per process)",
        MissingCallbackUrlWarning,
        stacklevel=stacklevel + 1,
    )


def _reset_warnings() -> None:
    """Forget which warnings were given (tests only)."""
    with _lock:
        _warned.clear()
