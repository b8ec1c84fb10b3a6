"""``postgresql://...``: a store shared by every host, on psycopg 3 with a connection pool
(extra ``[postgres]``)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the PostgreSQL store needs psycopg 3: pip install 'ligdicash[postgres]'"
    ) from exc

from .._exceptions import StoreUnavailableError
from ._base import redact_url
from ._sql import Row, SQLStore, schema_statements

__all__ = ["PostgresStore"]

# Any number will do as long as every ligdicash process uses the same one.
_SCHEMA_LOCK = 0x4C494744  # "LIGD"


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

    _row_lock = " FOR UPDATE SKIP LOCKED"

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
        self._url = url
        self._timeout = timeout
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=ConnectionPool.check_connection,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            name="ligdicash-store",
        )
        self._opened = False
        self._open_lock = threading.Lock()

    def _ensure_open(self) -> None:
        if self._opened:
            return
        with self._open_lock:
            if self._opened:
                return
            self._pool.open(wait=False)
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in schema_statements(
                    real="DOUBLE PRECISION", blob="BYTEA", bigint="BIGINT"
                ):
                    conn.execute(statement)
            self._opened = True

    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        try:
            self._ensure_open()
            with self._pool.connection() as conn:
                cursor = conn.execute(sql.replace("?", "%s"), params)
                rows: list[Row] = list(cursor.fetchall()) if cursor.description is not None else []
                return cursor.rowcount, rows
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            raise StoreUnavailableError(
                f"the PostgreSQL store {redact_url(self._url)} is unavailable: "
                f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}",
                code="store_unavailable",
            ) from None

    def close(self) -> None:
        """Close the pool's connections. Safe to call twice."""
        self._pool.close()

    def __repr__(self) -> str:
        return f"PostgresStore({redact_url(self._url)!r})"
