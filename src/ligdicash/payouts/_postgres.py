"""The ledger on PostgreSQL: several workers on several machines share one batch.

psycopg 3 (extra ``[postgres]``) with a small last-in-first-out pool of its own (at most
``max_size`` connections; broken ones are dropped): psycopg_pool's checkout cost ~0.5 ms
here, a quarter of the ledger's budget per item.
Claims use ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers each take a
different item without waiting for one another. Connections default to
``synchronous_commit=off``; claims and operators' decisions switch it on for their own
transaction (see :meth:`Ledger.move` for why the other writes may skip the flush).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._exceptions import InvalidRequestError
from ._ledger import Ledger
from ._ledger_base import ITEM_COLUMNS, SCHEMA, SCHEMA_VERSION

__all__ = ["PostgresLedger"]


def _redact(url: str) -> str:
    """The URL without its password (it ends up in messages and reprs)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in creds else f"{scheme}{sep}{rest}"
    return url


class PostgresLedger(Ledger):
    """A :class:`Ledger` in a PostgreSQL database (``postgresql://user@host/db``)."""

    placeholder = "%s"

    def __init__(self, url: str, *, max_size: int = 16) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise ImportError(
                f"the PostgreSQL ledger needs psycopg ({exc.name}): "
                "pip install 'ligdicash[postgres]'"
            ) from None
        self._psycopg = psycopg
        self._dsn = url
        self.url = _redact(url)
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max_size)
        self._create_schema()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection from this ledger's small pool (last in, first out), returned after.

        Broken connections are dropped; at most ``max_size`` are open, more callers wait.
        """
        conn = None
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            if self._slots.acquire(blocking=False):
                conn = self._connect()
            else:
                conn = self._idle.get(timeout=60)
        try:
            yield conn
        finally:
            if conn.closed or conn.broken or conn.info.transaction_status != 0:
                conn.close()
                self._slots.release()
            else:
                self._idle.put(conn)

    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=10,
                options="-c synchronous_commit=off",
            )
        except self._psycopg.Error as exc:
            self._slots.release()
            raise InvalidRequestError(
                f"cannot connect to the ledger {self.url}: {type(exc).__name__}"
            ) from None

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            if durable:
                cur.execute("SET LOCAL synchronous_commit = on")
            yield cur

    def _execute_one(self, sql: str, params: Sequence[Any], *, durable: bool) -> int:
        if durable:
            return super()._execute_one(sql, params, durable=True)
        # Autocommit: one statement, one round trip.
        with self._connection() as conn:
            return int(conn.execute(self._sql(sql), tuple(params)).rowcount)

    def _create_schema(self) -> None:
        # Two processes creating the schema at once would race on CREATE TABLE IF NOT EXISTS.
        with self._transaction(durable=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(7305112611)")
            for statement in SCHEMA:
                cur.execute(statement)
            cur.execute(
                "INSERT INTO payout_meta (key, value) VALUES ('schema', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )
            cur.execute("SELECT value FROM payout_meta WHERE key = 'schema'")
            row = cur.fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise InvalidRequestError(
                f"the ledger at {self.url} has schema version {row[0]}; this ligdicash "
                f"knows {SCHEMA_VERSION}: upgrade ligdicash"
            )

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
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            conn.close()
            self._slots.release()

    def __repr__(self) -> str:
        return f"<PostgresLedger {self.url!r}>"
