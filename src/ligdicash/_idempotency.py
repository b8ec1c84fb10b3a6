"""The names callback code has always imported from here, now served by ``ligdicash._stores``.

``SQLiteIdempotencyStore`` and ``MemoryIdempotencyStore`` are the whole stores
(:class:`~ligdicash._stores.SQLiteStore`, :class:`~ligdicash._stores.MemoryStore`) under
their old names; :class:`IdempotencyStore` is still the claim protocol to subclass.
"""

from __future__ import annotations

from ._stores._base import IdempotencyStore
from ._stores._memory import MemoryStore as MemoryIdempotencyStore
from ._stores._sqlite import DEFAULT_SQLITE_PATH
from ._stores._sqlite import SQLiteStore as SQLiteIdempotencyStore
from ._stores._types import Claim, ClaimState, IdempotencyRecord, RecordState, ReleaseState

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "Claim",
    "ClaimState",
    "IdempotencyRecord",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RecordState",
    "ReleaseState",
    "SQLiteIdempotencyStore",
]
