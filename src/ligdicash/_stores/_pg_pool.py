"""The PostgreSQL connection layer of the store and the payouts ledger: one
``psycopg_pool.ConnectionPool`` (extra ``[postgres]``), versioned schemas created under an
advisory lock, and every driver failure mapped to :class:`StoreUnavailableError`."""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the PostgreSQL store needs psycopg 3: pip install 'ligdicash[postgres]'"
    ) from exc

from .._exceptions import InvalidRequestError, StoreUnavailableError
from ._base import redact_url
from ._schema import Schema

__all__ = ["PostgresPool"]

# Any number will do as long as every ligdicash process uses the same one.
_SCHEMA_LOCK = 0x4C494744  # "LIGD"

#: The driver's failures that mean "the server is not there (any more)".
UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


def _check(conn: psycopg.Connection[Any]) -> None:
    """Lend a connection only if it is still good, asking the server only when in doubt.

    A server that ended an idle connection (restart, ``pg_terminate_backend``, idle timeout)
    sent its last words or closed the socket, so the socket is readable; a healthy idle
    connection has nothing to read. Only a readable one gets the round trip of psycopg's
    own check (which raises, and the pool replaces the connection): pinging every
    connection cost one more round trip per statement (0.06 to 0.3 ms on loopback).
    """
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if _readable(conn.fileno()):
        ConnectionPool.check_connection(conn)


def _readable(fd: int) -> bool:
    """Whether the socket has something to read (or hung up), without waiting: one
    ``poll`` call (``select`` where there is no ``poll``: Windows)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


class PostgresPool:
    """Autocommit connections to one PostgreSQL database, lent by a ``ConnectionPool``.

    The pool opens on first use and checks each connection before lending it (a round trip
    only for a connection the server may have ended), so a server restart costs at most
    the statement that was in flight. Several components (the callback store, a payouts
    ledger) may share one pool: each creates its own tables once through
    :meth:`ensure_schema`.

    Args:
        url: a libpq URL, ``postgresql://user:password@host:5432/dbname``.
        min_size, max_size: the pool's bounds.
        timeout: seconds to wait for a connection before :class:`StoreUnavailableError`.
        options: libpq ``options`` for every connection (``-c synchronous_commit=off``).
        what: how messages name the pool's owner (``"store"``, ``"ledger"``).
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
        options: str = "",
        what: str = "store",
    ) -> None:
        self._url = url
        self.what = what
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(1, int(timeout))}
        if options:
            kwargs["options"] = options
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=_check,
            kwargs=kwargs,
            name=f"ligdicash-{what}",
        )
        self._opened = False
        self._open_lock = threading.Lock()
        self._schemas: set[str] = set()

    @property
    def url(self) -> str:
        """The database URL with its password hidden."""
        return redact_url(self._url)

    def failure(self, exc: BaseException) -> StoreUnavailableError:
        """The error to raise for a driver failure: backend, URL without password, cause."""
        text = str(exc).strip()
        first = text.splitlines()[0] if text else ""
        return StoreUnavailableError(
            f"the PostgreSQL {self.what} {self.url} is unavailable: {type(exc).__name__}: "
            f"{redact_url(first)}",
            code="store_unavailable",
        )

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A checked autocommit connection, returned to the pool on exit.

        Raises:
            StoreUnavailableError: the server cannot be reached, or failed during the
                block (the error's cause is not chained: it may quote the URL).
            InvalidRequestError: PostgreSQL refused a value (``code="store_data"``): a NUL
                character in a text (from a batch file or a forged callback), a number out
                of range. The value is not repeated in the message.
        """
        try:
            if not self._opened:
                with self._open_lock:
                    if not self._opened:
                        self._pool.open(wait=False)
                        self._opened = True
            with self._pool.connection() as conn:
                yield conn
        except UNAVAILABLE as exc:
            raise self.failure(exc) from None
        except psycopg.DataError as exc:
            raise self.refused_value(exc) from None

    def refused_value(self, exc: BaseException) -> InvalidRequestError:
        """The error to raise when PostgreSQL refuses a value we passed: its kind and the
        server's first line (which names the type, not the value: values are parameters),
        never the value itself (it may be a secret someone pasted, or 100,000 bytes)."""
        text = str(exc).strip()
        first = text.splitlines()[0][:200] if text else ""
        return InvalidRequestError(
            f"the PostgreSQL {self.what} {self.url} refused a value: {type(exc).__name__}: "
            f"{redact_url(first)}",
            code="store_data",
        )

    def ensure_schema(self, schema: Schema) -> None:
        """Create ``schema``'s tables once per pool, under an advisory lock (two processes
        running ``CREATE TABLE IF NOT EXISTS`` at once can still collide), and check its
        recorded version.

        Raises:
            StoreUnavailableError: the server cannot be reached.
            ConfigurationError: a newer ligdicash wrote these tables.
        """
        if schema.component in self._schemas:
            return
        with self.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            schema.ensure(conn.execute, "%s", self.url)
        self._schemas.add(schema.component)

    def close(self) -> None:
        """Close the pool's connections. Safe to call twice."""
        self._pool.close()
