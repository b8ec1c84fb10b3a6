"""``sqlite:///path``: the default store, one SQLite file shared by the threads and processes
of one machine."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from typing import Any, Callable, Optional, Sequence, Union

from .._exceptions import ConfigurationError, StoreUnavailableError
from ._sql import Row, SQLStore, schema_statements

__all__ = ["DEFAULT_SQLITE_PATH", "SQLiteStore"]

#: Where :class:`SQLiteStore` keeps its tables when no path is given.
DEFAULT_SQLITE_PATH = "ligdicash-callbacks.sqlite3"


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
        self.path = os.fspath(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise ValueError("SQLiteStore needs a file; use MemoryStore (memory://)")
        if sqlite3.sqlite_version_info < (3, 35):  # RETURNING and MATERIALIZED
            raise ConfigurationError(
                f"the SQLite store needs SQLite 3.35 or later (this Python has "
                f"{sqlite3.sqlite_version}); use postgresql:// or redis://"
            )
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[int, sqlite3.Connection]] = []

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        cached: Optional[tuple[int, sqlite3.Connection]] = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == pid:
            return cached[1]
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        # WAL: readers never block the writer and a commit is one fsync, not a journal dance;
        # synchronous stays FULL so an acknowledged write survives a power cut.
        with contextlib.suppress(sqlite3.OperationalError):  # another process switches it now
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")  # one creator at a time; IF NOT EXISTS does the rest
        try:
            for statement in schema_statements(real="REAL", blob="BLOB", bigint="INTEGER"):
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
        self._local.conn = (pid, conn)
        with self._lock:
            self._connections.append((pid, conn))
        return conn

    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        try:
            conn = self._connection()
            if not write:
                return 0, conn.execute(sql, params).fetchall()
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(sql, params)
                rows = cursor.fetchall()  # RETURNING rows must be read before COMMIT
                count = cursor.rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return count, rows
        except sqlite3.OperationalError as exc:  # locked past the timeout, disk, permissions
            raise StoreUnavailableError(
                f"the SQLite store {self.path!r} failed: {exc}", code="store_unavailable"
            ) from exc

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        pid = os.getpid()
        with self._lock:
            connections, self._connections = self._connections, []
        for owner_pid, conn in connections:
            if owner_pid == pid:  # one inherited through fork belongs to the parent
                conn.close()
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
