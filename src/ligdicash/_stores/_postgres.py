"""``postgresql://...``: a store shared by every host, on psycopg 3 with a connection pool
(extra ``[postgres]``)."""

from __future__ import annotations

import time
from typing import Any, Callable, ClassVar, Sequence

from ._pg_pool import PostgresPool
from ._sql import Row, SQLStore, store_schema

__all__ = ["PostgresStore"]

_SCHEMA = store_schema(real="DOUBLE PRECISION", blob="BYTEA", bigint="BIGINT")


class PostgresStore(SQLStore):
    """Claims, inbox and payment registry in PostgreSQL, shared by every host and worker.

    Each operation is one autocommit statement; leases on inbox entries and due payments
    use ``FOR UPDATE SKIP LOCKED`` so concurrent workers take different rows. The tables
    are created on first use (``IF NOT EXISTS`` under an advisory lock) and the layout
    version is kept in ``ligdicash_schema``. Connections come from a
    ``psycopg_pool.ConnectionPool`` that checks each one before lending it, so a server
    restart costs at most the call that was in flight.

    Args:
        url: a libpq URL, ``postgresql://user:password@host:5432/dbname``.
        min_size, max_size: the pool's bounds.
        timeout: seconds to wait for a connection before :class:`StoreUnavailableError`.
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    _names: ClassVar[dict[str, str]] = {"lock": " FOR UPDATE SKIP LOCKED"}
    _placeholder = "%s"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock=clock)
        #: The connection pool; a payouts ledger opened from this store shares it.
        self.pool = PostgresPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, what="store"
        )

    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        self.pool.ensure_schema(_SCHEMA)
        with self.pool.connection() as conn:
            cursor = conn.execute(sql, params)
            rows: list[Row] = list(cursor.fetchall()) if cursor.description is not None else []
            return cursor.rowcount, rows

    def close(self) -> None:
        """Close the pool's connections. Safe to call twice."""
        self.pool.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.pool.url!r})"
