"""``sqlite:///path``: the default store, one SQLite file shared by the threads and processes
of one machine."""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Sequence, Union

from ._sql import Row, SQLStore, store_schema
from ._sqlite_conn import SQLiteConnections

__all__ = ["DEFAULT_SQLITE_PATH", "SQLiteStore"]

#: Where :class:`SQLiteStore` keeps its tables when no path is given.
DEFAULT_SQLITE_PATH = "ligdicash-callbacks.sqlite3"

_SCHEMA = store_schema(real="REAL", blob="BLOB", bigint="INTEGER")


class SQLiteStore(SQLStore):
    """The default store: one SQLite file shared by every thread and process of your app.

    Every write runs in its own ``BEGIN IMMEDIATE`` transaction (one writer at a time, the
    others wait up to ``timeout``), so each claim or lease is atomic across processes. Each
    thread (and each forked process) gets its own connection. Use a local disk, not a
    network share (SQLite's locking is unreliable there); for several machines use
    PostgreSQL or Redis (``docs/stores.md``).

    Args:
        path: the database file (created with its tables on first use), default
            ``ligdicash-callbacks.sqlite3`` in the working directory. ``":memory:"`` is
            refused (each connection would see its own empty database).
        timeout: seconds to wait for the write lock before :class:`StoreUnavailableError`.
        clock: seconds since the epoch; injectable to test lease expiry.

    Raises:
        ValueError: ``path`` is ``":memory:"``.
        ConfigurationError: Python's SQLite is older than 3.35 (no ``RETURNING``).
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]] = DEFAULT_SQLITE_PATH,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock=clock)
        self.connections = SQLiteConnections(path, timeout=timeout, what="store")
        self.path = self.connections.path

    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        self.connections.ensure_schema(_SCHEMA)
        if not write:
            with self.connections.mapped_errors():
                return 0, self.connections.connection().execute(sql, params).fetchall()
        with self.connections.transaction() as conn:
            cursor = conn.execute(sql, params)
            rows = cursor.fetchall()  # RETURNING rows must be read before COMMIT
            return cursor.rowcount, rows

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        self.connections.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
