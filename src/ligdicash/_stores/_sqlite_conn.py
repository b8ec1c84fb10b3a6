"""The SQLite connection layer of the store and the payouts ledger: one connection per
thread and process, WAL, ``BEGIN IMMEDIATE`` writes, versioned schemas, errors mapped."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Optional, Union

from .._exceptions import ConfigurationError, StoreUnavailableError
from ._schema import Schema

__all__ = ["SQLiteConnections"]


class SQLiteConnections:
    """The connections to one SQLite file, shared by every thread and process of a machine.

    Each thread (and each forked process) gets its own connection, in WAL mode (readers
    never block the writer; a commit is one append to the log) with a busy timeout. Writes
    run in ``BEGIN IMMEDIATE`` transactions: a deferred one that later writes could fail at
    once with ``SQLITE_BUSY`` instead of waiting for another process.

    Args:
        path: the database file. ``":memory:"`` is refused (each connection would see its
            own empty database).
        timeout: seconds to wait for the write lock before :class:`StoreUnavailableError`.
        what: how messages name the file's owner (``"store"``, ``"ledger"``).
        serialize_writes: one write transaction at a time in this process, behind a lock
            (the ledger: its claims batch several items per transaction, and a lock hands
            over at once where SQLite's busy handler sleeps up to 100 ms). The store's
            one-statement writes keep a lower median latency without it (4 threads:
            0.4 ms against 1.8 ms, ``benchmarks/stores_claims.py``).

    Raises:
        ValueError: ``path`` is ``":memory:"``.
        ConfigurationError: Python's SQLite is older than 3.35 (no ``RETURNING``).
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        timeout: float = 30.0,
        what: str = "store",
        serialize_writes: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise ValueError("a SQLite store needs a file; use MemoryStore (memory://)")
        if sqlite3.sqlite_version_info < (3, 35):  # RETURNING and MATERIALIZED
            raise ConfigurationError(
                f"the SQLite {what} needs SQLite 3.35 or later (this Python has "
                f"{sqlite3.sqlite_version}); use postgresql://"
            )
        self.what = what
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._write_lock: Optional[threading.Lock] = threading.Lock() if serialize_writes else None
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._schemas: set[str] = set()

    def failure(self, exc: BaseException) -> StoreUnavailableError:
        """The error to raise for a failure of the file (locked past the timeout, disk full,
        permissions, not a database)."""
        return StoreUnavailableError(
            f"the SQLite {self.what} {self.path!r} failed: {exc}", code="store_unavailable"
        )

    @contextlib.contextmanager
    def mapped_errors(self) -> Iterator[None]:
        """Turn SQLite's failures into :class:`StoreUnavailableError` (constraint and
        programming errors are bugs, and stay what they are)."""
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise
        except sqlite3.Error as exc:
            raise self.failure(exc) from exc

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened and set up on first use).

        Raises:
            StoreUnavailableError: the file cannot be opened.
        """
        pid = os.getpid()
        cached: Optional[tuple[int, sqlite3.Connection]] = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == pid:
            return cached[1]
        with self.mapped_errors():
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            # synchronous stays FULL unless a transaction asks otherwise: an acknowledged
            # write survives a power cut.
            with contextlib.suppress(sqlite3.OperationalError):  # another process switches it
                conn.execute("PRAGMA journal_mode=WAL")
        self._local.conn = (pid, conn)
        self._local.synchronous = "FULL"
        with self._lock:
            self._connections.append((pid, conn))
        return conn

    @contextlib.contextmanager
    def transaction(self, *, synchronous: Optional[str] = None) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside ``BEGIN IMMEDIATE``, committed on exit (rolled
        back on an error).

        Args:
            synchronous: ``"FULL"`` (the commit is on disk before it returns) or
                ``"NORMAL"`` (it survives a crash of the process, not a power cut); None
                leaves the connection as it is (FULL unless changed).

        Raises:
            StoreUnavailableError: the database failed; nothing was committed.
        """
        # The lock waits no longer than SQLite would: a thread queued behind a writer that
        # is itself stuck on another process's lock fails after ``timeout`` as well.
        lock = self._write_lock
        if lock is not None and not lock.acquire(timeout=self._timeout):
            raise self.failure(sqlite3.OperationalError("database is locked (by this process)"))
        try:
            with self.mapped_errors():
                conn = self.connection()
                if synchronous is not None and self._local.synchronous != synchronous:
                    # In WAL mode FULL syncs the log at the next commit, with all before it.
                    conn.execute(f"PRAGMA synchronous={synchronous}")
                    self._local.synchronous = synchronous
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:  # the body or the COMMIT failed (busy, disk full)
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            if lock is not None:
                lock.release()

    def ensure_schema(self, schema: Schema) -> None:
        """Create ``schema``'s tables once per object (``IF NOT EXISTS``: other processes
        may be doing the same) and check its recorded version.

        Raises:
            StoreUnavailableError: the database failed.
            ConfigurationError: a newer ligdicash wrote these tables.
        """
        if schema.component in self._schemas:
            return
        with self.transaction(synchronous="FULL") as conn:
            schema.ensure(conn.execute, "?", repr(self.path))
        self._schemas.add(schema.component)

    def close(self) -> None:
        """Close every connection opened in this process (one inherited through fork
        belongs to the parent)."""
        pid = os.getpid()
        with self._lock:
            connections, self._connections = self._connections, []
        for owner_pid, conn in connections:
            if owner_pid == pid:
                conn.close()
        self._local = threading.local()
