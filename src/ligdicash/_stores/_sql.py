"""The SQL every relational backend shares (SQLite, PostgreSQL, and either through Django's
connection), written once: the statements are data in ``_sql_claims``, ``_sql_inbox`` and
``_sql_registry`` (one module per concern), their slots filled by ``_sql_base``.

Each operation is ONE statement in autocommit mode, atomic by itself on both databases: a
claim is an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <claimable> RETURNING``; a lease
on an inbox entry or due payments is a ``WITH picked AS MATERIALIZED (SELECT ... LIMIT n
<lock>) UPDATE ... WHERE key IN picked AND <claimable> RETURNING`` where ``<lock>`` is
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent pollers take different rows) and
nothing on SQLite (whose writers are serialised). The backends only say how to run a
statement, how to create the schema (Django: its migrations) and, where they differ, the
table names; times are parameters, from the store's (injectable) clock.
"""

from __future__ import annotations

from ._base import Store
from ._schema import VERSION_QUERY, Schema
from ._sql_base import Row
from ._sql_claims import SQLClaims
from ._sql_inbox import SQLInbox
from ._sql_registry import SQLRegistry
from ._types import SCHEMA_VERSION

__all__ = ["Row", "SQLStore", "store_schema"]


# Run once at import, before mutation testing can switch a mutant on: its mutants could
# never be killed (scripts/mutation.sh).
# pragma: no mutate start
def store_schema(*, real: str, blob: str, bigint: str) -> Schema:
    """The store's tables (claims, inbox, payments), with the backend's type names."""
    return Schema(
        "store",
        SCHEMA_VERSION,
        (
            "CREATE TABLE IF NOT EXISTS ligdicash_idempotency ("
            "key TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, attempts INTEGER NOT NULL DEFAULT 1, "
            f"note TEXT NOT NULL DEFAULT '', updated_at {real} NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ligdicash_inbox ("
            f"digest TEXT PRIMARY KEY, body {blob} NOT NULL, content_type TEXT NOT NULL, "
            f"received_at {real} NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, attempts INTEGER NOT NULL, "
            f"deliveries INTEGER NOT NULL, outcome TEXT NOT NULL, updated_at {real} NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ligdicash_inbox_ready "
            "ON ligdicash_inbox (state, received_at)",
            "CREATE TABLE IF NOT EXISTS ligdicash_payments ("
            f"reference TEXT PRIMARY KEY, kind TEXT NOT NULL, amount {bigint} NOT NULL, "
            f"token TEXT, status TEXT NOT NULL, created_at {real} NOT NULL, "
            f"updated_at {real} NOT NULL, next_poll_at {real} NOT NULL, "
            f"poll_attempts INTEGER NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, note TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ligdicash_payments_due ON ligdicash_payments "
            "(status, next_poll_at)",
        ),
    )


# pragma: no mutate end


class SQLStore(SQLClaims, SQLInbox, SQLRegistry, Store):
    """A :class:`Store` over one SQL database: claims (:class:`SQLClaims`), the inbox
    (:class:`SQLInbox`) and the payment registry (:class:`SQLRegistry`); subclasses
    provide :meth:`_run` (and, where they differ, the table names and the row lock)."""

    def schema_version(self) -> int:
        """The layout version recorded in ``ligdicash_schema`` (see ``SCHEMA_VERSION``)."""
        rows = self._rows(VERSION_QUERY, ("store",))
        return int(rows[0][0])
