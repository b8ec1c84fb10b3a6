"""Stores: exactly-once claims, the callback inbox and the payment registry, on SQLite (the
default), PostgreSQL, Redis, a Django project's database or memory, chosen by URL
(:func:`open_store`).

Only the protocol, the records and the stdlib backends load here; the PostgreSQL, Redis
and Django backends import their drivers when ``open_store`` (or their module) is used.
See ``docs/stores.md``.
"""

from __future__ import annotations

from ._base import (
    ClaimStore,
    IdempotencyStore,
    InboxStore,
    PaymentRegistryStore,
    Store,
    inbox_digest,
)
from ._memory import MemoryStore
from ._open import DEFAULT_STORE_URL, STORE_URL_ENV, open_store
from ._sqlite import DEFAULT_SQLITE_PATH, SQLiteStore
from ._types import (
    SCHEMA_VERSION,
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    PaymentClaim,
    PaymentRecord,
)

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "DEFAULT_STORE_URL",
    "SCHEMA_VERSION",
    "STORE_URL_ENV",
    "Claim",
    "ClaimStore",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InboxClaim",
    "InboxEntry",
    "InboxStore",
    "MemoryStore",
    "PaymentClaim",
    "PaymentRecord",
    "PaymentRegistryStore",
    "SQLiteStore",
    "Store",
    "inbox_digest",
    "open_store",
]
