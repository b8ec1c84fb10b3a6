"""What the three endpoints share once the body is read: keep it, then say what to answer.

With a store that has an inbox (every built-in one), a callback is kept before the answer:
``200`` means "stored". If the store cannot take it, the answer is ``503`` (LigdiCash sends
it again later) and an ERROR is logged: never a ``200`` for a callback that was not kept.
An unreadable body is refused before storage and still answered ``200``, revealing nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from ._handler import CallbackProcessor

__all__ = ["Reception", "receive"]

logger = logging.getLogger("ligdicash.callbacks")


@dataclass(frozen=True)
class Reception:
    """The answer's status, and the inbox entry to process after it (``None``: nothing)."""

    status: int
    digest: Optional[str] = None


def receive(processor: CallbackProcessor, body: bytes, content_type: str) -> Reception:
    """Keep ``body`` in ``processor``'s inbox (blocking: run it in a thread from async code)."""
    try:
        entry = processor.accept(body, content_type)
    except Exception as exc:
        logger.error(
            "callback NOT stored, answered 503 so that it is sent again (%s: %s)",
            type(exc).__name__,
            str(exc)[:300],
        )
        return Reception(503)
    return Reception(200, entry.digest if entry is not None else None)
