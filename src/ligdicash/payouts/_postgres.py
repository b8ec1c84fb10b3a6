"""The ledger on PostgreSQL: several workers on several machines share one batch.

psycopg 3 with a connection pool (extra ``[postgres]``). Claims use
``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers each take a different item
without waiting for one another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._exceptions import InvalidRequestError
from ._ledger import Ledger

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
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise ImportError(
                f"the PostgreSQL ledger needs psycopg ({exc.name}): "
                "pip install 'ligdicash[postgres]'"
            ) from None
        self.url = _redact(url)
        self._errors = psycopg.Error
        try:
            # One plain connection first: a wrong URL fails now, not after the pool's wait.
            psycopg.connect(url, connect_timeout=10).close()
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                open=True,
                timeout=30.0,
                kwargs={"autocommit": False},
            )
            self._pool.wait(timeout=30.0)
        except Exception as exc:
            raise InvalidRequestError(
                f"cannot connect to the ledger {self.url}: {type(exc).__name__}"
            ) from None
        self._create_schema()

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not durable:
                # Lost only if the server itself crashes; see Ledger.move.
                cur.execute("SET LOCAL synchronous_commit = off")
            yield cur

    def _create_schema(self) -> None:
        # Two processes creating the schema at once would race on CREATE TABLE IF NOT EXISTS.
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(7305112611)")
            from ._ledger import SCHEMA, SCHEMA_VERSION

            for statement in SCHEMA:
                cur.execute(statement)
            cur.execute(
                "INSERT INTO payout_meta (key, value) VALUES ('schema', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )

    def _claim_sql(self) -> str:
        return (
            "SELECT i.id FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id "
            "WHERE i.batch_id = %s AND i.status = %s AND b.paused_reason = '' "
            "ORDER BY i.position LIMIT %s FOR UPDATE OF i SKIP LOCKED"
        )

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"<PostgresLedger {self.url!r}>"
