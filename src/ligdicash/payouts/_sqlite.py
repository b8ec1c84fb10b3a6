"""The ledger on a SQLite file: one machine, any number of threads and processes.

Connections, WAL, ``BEGIN IMMEDIATE`` and error mapping are the store's
(:class:`~ligdicash._stores._sqlite_conn.SQLiteConnections`). Claims commit with
``synchronous=FULL`` (a ``sending`` row must survive a power cut, not only a crash), other
writes with ``NORMAL``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._exceptions import InvalidRequestError
from .._stores._sqlite_conn import SQLiteConnections
from ._ledger import Ledger
from ._ledger_base import SCHEMA

__all__ = ["SQLiteLedger"]


class SQLiteLedger(Ledger):
    """A :class:`Ledger` in a SQLite file (``sqlite:///path``).

    Args:
        path: the file (created with its tables if absent); it may also hold a store's
            tables (``open_ledger(store)``).
        timeout: seconds to wait for another process's write lock.

    Raises:
        InvalidRequestError: the file's directory does not exist.
        StoreUnavailableError: the file cannot be opened or written.
        ConfigurationError: a newer ligdicash wrote the ledger's tables.
    """

    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str, *, timeout: float = 30.0) -> None:
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InvalidRequestError(f"cannot create the ledger {path}: no such directory")
        self.connections = SQLiteConnections(
            path, timeout=timeout, what="ledger", serialize_writes=True
        )
        self.path = self.connections.path
        self.url = f"sqlite:///{self.path}"
        self.connections.ensure_schema(SCHEMA)

    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        # Always IMMEDIATE (``immediate`` matters on other backends only).
        with self.connections.transaction(synchronous="FULL" if durable else "NORMAL") as conn:
            cur = conn.cursor()
            try:
                yield cur
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
        self.connections.close()

    def __repr__(self) -> str:
        return f"<SQLiteLedger {self.path!r}>"
