"""Receiving callbacks in your app: the framework-neutral toolkit and the integrations.

* :class:`CallbackProcessor` — parse, (hash check), look up, claim, confirm, run your
  handler exactly once; usable from any framework (``process(body, content_type)``).
* :class:`ExpectedTransaction` — what your lookup returns: the creation token and amount.
* :class:`ClaimTiming` — how long a copy waits for the other and a claim lasts
  (``processor.timing()``), derived from the client's timeout and retries.
* The store (``ligdicash.open_store(url)``: SQLite by default, PostgreSQL, Redis, the
  Django ORM; see ``docs/stores.md``) holds the claims and the durable callback inbox;
  :class:`Sweeper` finishes the callbacks a dead worker left there.
* ``ligdicash.contrib.django``, ``ligdicash.contrib.flask``, ``ligdicash.contrib.fastapi``:
  ready-made endpoints (install the matching extra, e.g. ``pip install 'ligdicash[flask]'``).

This package imports no web framework; ``import ligdicash`` does not import it.
See ``docs/callbacks.md``.
"""

from __future__ import annotations

from .._stores import Claim, IdempotencyRecord, IdempotencyStore
from .._stores import MemoryStore as MemoryIdempotencyStore
from .._stores import SQLiteStore as SQLiteIdempotencyStore
from ._handler import CallbackProcessor
from ._runner import BackgroundRunner
from ._sweeper import Sweeper
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
    "Sweeper",
    "TransactionHandler",
    "event_key",
]
