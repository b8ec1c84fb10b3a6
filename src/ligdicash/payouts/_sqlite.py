"""The ledger on a SQLite file: one machine, any number of threads and processes.

WAL journal; claims commit with ``synchronous=FULL`` (a ``sending`` row must survive a power
cut, not only a crash), other writes with ``NORMAL``; one connection per thread and process;
``BEGIN IMMEDIATE`` for claims, so two workers never take the same item.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._exceptions import InvalidRequestError
from ._ledger import Ledger

__all__ = ["SQLiteLedger"]


class SQLiteLedger(Ledger):
    """A :class:`Ledger` in a SQLite file (``sqlite:///path``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InvalidRequestError(f"cannot create the ledger {path}: no such directory")
        self._create_schema()

    def _connection(self) -> sqlite3.Connection:
        conn: Any = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = sqlite3.connect(
                    self.path, timeout=30.0, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as exc:
                raise InvalidRequestError(f"cannot open the ledger {self.path}: {exc}") from None
            self._local.conn = conn
            self._local.mode = None
            self._local.pid = os.getpid()
            with self._lock:
                self._connections.append(conn)
        return conn  # type: ignore[no-any-return]

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        # One transaction at a time per process: SQLite's own busy handler backs off in
        # sleeps of up to 100 ms, a lock hands over at once. Other processes still wait
        # on SQLite's lock (busy_timeout).
        with self._write_lock:  # noqa: SIM117 (parenthesised `with` needs Python 3.10)
            with self._transaction_unlocked(immediate=immediate, durable=durable) as cur:
                yield cur

    @contextmanager
    def _transaction_unlocked(self, *, immediate: bool, durable: bool) -> Iterator[Any]:
        conn = self._connection()
        mode = "FULL" if durable else "NORMAL"
        if getattr(self._local, "mode", None) != mode:
            # In WAL mode FULL syncs the log at this commit, with every earlier frame.
            conn.execute(f"PRAGMA synchronous={mode}")
            self._local.mode = mode
        cur = conn.cursor()
        # IMMEDIATE always: a deferred transaction that later writes can fail with
        # SQLITE_BUSY at once instead of waiting for another process.
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cur.close()

    def _claim_sql(self) -> str:
        # BEGIN IMMEDIATE already holds the write lock: no other claim can interleave.
        return (
            "SELECT id FROM payout_items WHERE batch_id = ? AND status = ? "
            "AND NOT EXISTS (SELECT 1 FROM payout_batches b WHERE b.id = batch_id "
            "AND b.paused_reason <> '') ORDER BY position LIMIT ?"
        )

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def __repr__(self) -> str:
        return f"<SQLiteLedger {self.path!r}>"
