"""The ledger on PostgreSQL: several workers on several machines share one batch.

Connections come from the store's pool (:class:`~ligdicash._stores._pg_pool.PostgresPool`,
psycopg 3, extra ``[postgres]``): its own, or the one of the :class:`PostgresStore` it was
opened from. Claims use ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers each
take a different item without waiting for one another. A pool of its own connects with
``synchronous_commit=off``; claims and operators' decisions switch it on for their own
transaction (see :meth:`Ledger.move` for why the other writes may skip the flush).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Optional

from .._stores._pg_pool import PostgresPool  # first: its ImportError names the extra

# isort: split
import psycopg

from ._ledger import Ledger
from ._ledger_base import ITEM_COLUMNS, SCHEMA

__all__ = ["PostgresLedger"]

#: The advisory lock that serialises ``add_batch`` (the schema lock is 0x4C494744, "LIGD").
_ADD_BATCH_LOCK = 0x4C494742  # "LIGB"


class PostgresLedger(Ledger):
    """A :class:`Ledger` in a PostgreSQL database (``postgresql://user@host/db``).

    Args:
        url: the database; the ledger opens its own pool of at most ``max_size``
            connections.
        pool: instead of ``url``, a pool to share (a ``PostgresStore``'s); its owner closes
            it, and its connections keep their own ``synchronous_commit``.

    Raises:
        StoreUnavailableError: the server cannot be reached (the message hides the password).
        ConfigurationError: a newer ligdicash wrote the ledger's tables.
    """

    placeholder = "%s"
    _integrity_errors = (psycopg.IntegrityError,)

    def __init__(
        self, url: str = "", *, pool: Optional[PostgresPool] = None, max_size: int = 16
    ) -> None:
        self._owns_pool = pool is None
        if pool is None:
            pool = PostgresPool(
                url, max_size=max_size, options="-c synchronous_commit=off", what="ledger"
            )
        self.pool = pool
        self.url = pool.url
        try:
            pool.ensure_schema(SCHEMA)
        except BaseException:
            self.close()
            raise

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if durable and self._owns_pool:
                cur.execute("SET LOCAL synchronous_commit = on")
            yield cur

    def _lock_references(self, cur: Any) -> None:
        # READ COMMITTED: without it, two processes adding batches at the same moment both
        # pass the check and one insert then fails on the unique index, inside psycopg's
        # pipeline (which logs "error ignored terminating ..." on stderr before we can
        # turn the failure into one line). With it, the second waits and sees the first.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_ADD_BATCH_LOCK,))

    def _execute_one(self, sql: str, params: Sequence[Any], *, durable: bool) -> int:
        if durable:
            return super()._execute_one(sql, params, durable=True)
        # Autocommit: one statement, one round trip.
        with self.pool.connection() as conn:
            return int(conn.execute(self._sql(sql), tuple(params)).rowcount)

    def _claim_rows(self, cur: Any, batch_id: str, worker: Any, limit: int) -> list[Any]:
        # One statement, one round trip: lock, mark and return the items.
        cur.execute(
            f"UPDATE payout_items SET status = 'sending', worker = %s, "  # noqa: S608
            "attempts = attempts + 1, updated_at = %s "
            f"WHERE id IN ({self._claim_sql()}) RETURNING {ITEM_COLUMNS}",
            (worker.id, time.time(), batch_id, "pending", limit),
        )
        return list(cur.fetchall())

    def _claim_sql(self) -> str:
        return (
            "SELECT i.id FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id "
            "WHERE i.batch_id = %s AND i.status = %s AND b.paused_reason = '' "
            "ORDER BY i.position LIMIT %s FOR UPDATE OF i SKIP LOCKED"
        )

    def close(self) -> None:
        """Close the ledger's own pool (a shared one is its store's to close)."""
        if self._owns_pool:
            self.pool.close()

    def __repr__(self) -> str:
        return f"<PostgresLedger {self.url!r}>"
