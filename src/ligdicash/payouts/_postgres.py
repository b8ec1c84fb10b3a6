"""The ledger on PostgreSQL: several workers on several machines share one batch.

psycopg 3 (extra ``[postgres]``), one connection per thread, reopened when broken (a
shared pool costs ~0.5 ms per checkout here, a third of the ledger's budget per item).
Claims use ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers each take a
different item without waiting for one another. Connections default to
``synchronous_commit=off``; claims and operators' decisions switch it on for their own
transaction (see :meth:`Ledger.move` for why the other writes may skip the flush).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._exceptions import InvalidRequestError
from ._ledger import ITEM_COLUMNS, SCHEMA, SCHEMA_VERSION, Ledger

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

    def __init__(self, url: str) -> None:
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
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._create_schema()

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken or self._local.pid != os.getpid():
            try:
                conn = self._psycopg.connect(
                    self._dsn,
                    autocommit=True,
                    connect_timeout=10,
                    options="-c synchronous_commit=off",
                )
            except self._psycopg.Error as exc:
                raise InvalidRequestError(
                    f"cannot connect to the ledger {self.url}: {type(exc).__name__}"
                ) from None
            self._local.conn = conn
            self._local.pid = os.getpid()
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cur:
            if durable:
                cur.execute("SET LOCAL synchronous_commit = on")
            yield cur

    def _execute_one(self, sql: str, params: Sequence[Any], *, durable: bool) -> int:
        if durable:
            return super()._execute_one(sql, params, durable=True)
        # Autocommit: one statement, one round trip.
        return int(self._connection().execute(self._sql(sql), tuple(params)).rowcount)

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
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def __repr__(self) -> str:
        return f"<PostgresLedger {self.url!r}>"
