"""Receiving callbacks in your app: the framework-neutral toolkit and the integrations.

* :class:`CallbackProcessor` — parse, (hash check), look up, claim, confirm, run your
  handler exactly once; usable from any framework (``process(body, content_type)``).
* :class:`ExpectedTransaction` — what your lookup returns: the creation token and amount.
* :class:`ClaimTiming` — how long a copy waits for the other and a claim lasts
  (``processor.timing()``), derived from the client's timeout and retries.
* Idempotency stores: :class:`SQLiteIdempotencyStore` (default), :class:`MemoryIdempotencyStore`,
  and the :class:`IdempotencyStore` base to plug Redis or your ORM.
* ``ligdicash.contrib.django``, ``ligdicash.contrib.flask``, ``ligdicash.contrib.fastapi``:
  ready-made endpoints (install the matching extra, e.g. ``pip install 'ligdicash[flask]'``).

This package imports no web framework; ``import ligdicash`` does not import it.
See ``docs/callbacks.md``.
"""

from __future__ import annotations

from .._idempotency import (
    Claim,
    IdempotencyRecord,
    IdempotencyStore,
    MemoryIdempotencyStore,
    SQLiteIdempotencyStore,
)
from ._handler import CallbackProcessor
from ._runner import BackgroundRunner
from ._timing import ClaimTiming
from ._types import ExpectedTransaction, Lookup, ProcessResult, TransactionHandler, event_key

__all__ = [
    "BackgroundRunner",
    "CallbackProcessor",
    "Claim",
    "ClaimTiming",
    "ExpectedTransaction",
    "IdempotencyRecord",
    "IdempotencyStore",
    "Lookup",
    "MemoryIdempotencyStore",
    "ProcessResult",
    "SQLiteIdempotencyStore",
    "TransactionHandler",
    "event_key",
]
