"""Exactly-once processing of callbacks: a tiny claim/complete/release store.

LigdiCash posts each event twice, possibly at the same instant, possibly to two worker
processes. Before confirming and running your handler, the processor *claims* the event's
key (creation token + final status); only one claimant wins. Then:

* the handler ran → :meth:`IdempotencyStore.complete`: the key is ``done`` for ever, every
  later copy is a duplicate;
* the confirmation failed (status call timed out, mismatch) or the handler raised →
  :meth:`IdempotencyStore.release`: the key is left ``unconfirmed``/``failed`` and the next
  copy of the callback, or your polling fallback, can claim it again;
* the worker died mid-way → its claim has a lease; once expired, another claim wins.

:class:`SQLiteIdempotencyStore` (the default) is safe across threads and processes sharing
one file; :class:`MemoryIdempotencyStore` is for tests and single-process apps. To use
Redis or your ORM, subclass :class:`IdempotencyStore` and implement the four methods with
the same atomicity (see ``docs/callbacks.md``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Union

__all__ = [
    "Claim",
    "IdempotencyRecord",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "SQLiteIdempotencyStore",
]

ClaimState = Literal["claimed", "done", "busy"]
RecordState = Literal["processing", "done", "unconfirmed", "failed"]
ReleaseState = Literal["unconfirmed", "failed"]

#: Where :class:`SQLiteIdempotencyStore` keeps its table when no path is given.
DEFAULT_SQLITE_PATH = "ligdicash-callbacks.sqlite3"


@dataclass(frozen=True)
class Claim:
    """The answer to :meth:`IdempotencyStore.claim`.

    ``state`` is ``"claimed"`` (you own the key until ``lease_until``: confirm, run the
    handler, then ``complete`` or ``release``), ``"done"`` (already processed: do nothing)
    or ``"busy"`` (another worker holds a live claim: wait, or leave it to them).
    """

    key: str
    state: ClaimState
    owner: str = ""
    lease_until: float = 0.0

    @property
    def acquired(self) -> bool:
        """True when this claim won the key."""
        return self.state == "claimed"


@dataclass(frozen=True)
class IdempotencyRecord:
    """A key's stored state: ``processing``, ``done``, ``unconfirmed`` or ``failed``.

    ``attempts`` counts the claims won; ``note`` is a short reason such as ``"timeout"`` or
    ``"mismatch:amount"`` (never a secret).
    """

    key: str
    state: RecordState
    owner: str
    lease_until: float
    attempts: int
    note: str
    updated_at: float


class IdempotencyStore(ABC):
    """Where claims live. Implementations must make :meth:`claim` atomic across workers.

    Semantics every implementation follows:

    * ``claim(key)``: absent key → insert ``processing`` with a lease, return ``claimed``;
      ``done`` → ``done``; ``processing`` with a live lease → ``busy``; ``unconfirmed``,
      ``failed`` or an expired lease → take it over (``attempts + 1``), ``claimed``.
    * ``complete(claim)``: set ``done``; returns False if the claim had been taken over.
    * ``release(claim, state)``: only the current owner of a ``processing`` key can move it
      to ``unconfirmed``/``failed``; returns whether it did.
    * ``get(key)``: the record or ``None``.
    """

    @abstractmethod
    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        """Try to take ``key`` for ``lease_seconds``; see the class docstring."""

    @abstractmethod
    def complete(self, claim: Claim, *, note: str = "") -> bool:
        """Mark the key ``done`` for ever (later claims answer ``done``)."""

    @abstractmethod
    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        """Give the key back so a later copy or the polling fallback can process it."""

    @abstractmethod
    def get(self, key: str) -> Optional[IdempotencyRecord]:
        """The key's record, or ``None`` when it was never claimed."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Release resources (connections). Safe to call twice."""


def _new_owner() -> str:
    return uuid.uuid4().hex


class MemoryIdempotencyStore(IdempotencyStore):
    """An in-process store (a dict and a lock): tests and single-process apps only.

    Args:
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, IdempotencyRecord] = {}

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        with self._lock:
            now = self._clock()
            record = self._records.get(key)
            if record is not None:
                if record.state == "done":
                    return Claim(key, "done")
                if record.state == "processing" and record.lease_until > now:
                    return Claim(key, "busy", lease_until=record.lease_until)
            owner, until = _new_owner(), now + lease_seconds
            attempts = (record.attempts if record else 0) + 1
            note = record.note if record else ""
            self._records[key] = IdempotencyRecord(
                key, "processing", owner, until, attempts, note, now
            )
            return Claim(key, "claimed", owner, until)

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        with self._lock:
            record = self._records.get(claim.key)
            owned = record is not None and record.owner == claim.owner
            attempts = record.attempts if record else 1
            self._records[claim.key] = IdempotencyRecord(
                claim.key, "done", claim.owner, 0.0, attempts, note, self._clock()
            )
            return owned

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        with self._lock:
            record = self._records.get(claim.key)
            if record is None or record.owner != claim.owner or record.state != "processing":
                return False
            self._records[claim.key] = IdempotencyRecord(
                claim.key, state, claim.owner, 0.0, record.attempts, note, self._clock()
            )
            return True

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        with self._lock:
            return self._records.get(key)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS ligdicash_idempotency (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    owner TEXT NOT NULL,
    lease_until REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    note TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
)
"""


class SQLiteIdempotencyStore(IdempotencyStore):
    """The default store: one SQLite file shared by every thread and process of your app.

    Claims are atomic across processes: each runs in a ``BEGIN IMMEDIATE`` transaction
    (one writer at a time) around ``INSERT OR IGNORE``. Each thread (and each forked
    process) gets its own connection; ``timeout`` is how long a writer waits for the lock.
    Use a local disk, not a network share (SQLite's locking is unreliable there); for
    several machines, plug a shared store (Redis, your database).

    Args:
        path: the database file (created with its table on first use), default
            ``ligdicash-callbacks.sqlite3`` in the working directory. ``":memory:"`` is
            refused (each connection would see its own empty database).
        timeout: seconds to wait for the write lock before ``sqlite3.OperationalError``.
        clock: seconds since the epoch; injectable to test lease expiry.

    Raises:
        ValueError: ``path`` is ``":memory:"``.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]] = DEFAULT_SQLITE_PATH,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = os.fspath(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise ValueError("SQLiteIdempotencyStore needs a file; use MemoryIdempotencyStore")
        self._timeout = timeout
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        cached: Optional[tuple[int, sqlite3.Connection]] = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == pid:
            return cached[1]
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(_SCHEMA)
        self._local.conn = (pid, conn)
        with self._lock:
            self._connections.append((pid, conn))
        return conn

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        conn = self._connection()
        owner = _new_owner()
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = self._clock()
            until = now + lease_seconds
            inserted = conn.execute(
                "INSERT OR IGNORE INTO ligdicash_idempotency "
                "(key, state, owner, lease_until, attempts, note, updated_at) "
                "VALUES (?, 'processing', ?, ?, 1, '', ?)",
                (key, owner, until, now),
            ).rowcount
            if inserted == 1:
                result = Claim(key, "claimed", owner, until)
            else:
                state, lease_until = conn.execute(
                    "SELECT state, lease_until FROM ligdicash_idempotency WHERE key = ?", (key,)
                ).fetchone()
                if state == "done":
                    result = Claim(key, "done")
                elif state == "processing" and lease_until > now:
                    result = Claim(key, "busy", lease_until=lease_until)
                else:
                    conn.execute(
                        "UPDATE ligdicash_idempotency SET state = 'processing', owner = ?, "
                        "lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE key = ?",
                        (owner, until, now, key),
                    )
                    result = Claim(key, "claimed", owner, until)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT owner FROM ligdicash_idempotency WHERE key = ?", (claim.key,)
            ).fetchone()
            now = self._clock()
            conn.execute(
                "INSERT INTO ligdicash_idempotency "
                "(key, state, owner, lease_until, attempts, note, updated_at) "
                "VALUES (?, 'done', ?, 0, 1, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET state = 'done', lease_until = 0, "
                "note = excluded.note, updated_at = excluded.updated_at",
                (claim.key, claim.owner, note, now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return row is not None and row[0] == claim.owner

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        conn = self._connection()
        changed = conn.execute(
            "UPDATE ligdicash_idempotency SET state = ?, lease_until = 0, note = ?, "
            "updated_at = ? WHERE key = ? AND owner = ? AND state = 'processing'",
            (state, note, self._clock(), claim.key, claim.owner),
        ).rowcount
        return bool(changed == 1)

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        row = (
            self._connection()
            .execute(
                "SELECT key, state, owner, lease_until, attempts, note, updated_at "
                "FROM ligdicash_idempotency WHERE key = ?",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return IdempotencyRecord(
            str(row[0]),
            row[1],
            str(row[2]),
            float(row[3]),
            int(row[4]),
            str(row[5]),
            float(row[6]),
        )

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
        return f"SQLiteIdempotencyStore({self.path!r})"
