"""SQLite persistence of the sandbox: transactions, the callback delivery log, the balance.

One connection shared by the event loop and the background threads, guarded by a re-entrant
lock (every statement is short). ``:memory:`` by default; a file path survives restarts.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from typing import Any, Callable, Optional

from ._record import TRANSACTION_FIELDS, CallbackAttempt, CallbackMode, Transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL DEFAULT 'xof',
    description TEXT NOT NULL DEFAULT '',
    customer TEXT NOT NULL DEFAULT '',
    operator_id TEXT NOT NULL DEFAULT '',
    operator_name TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    custom_data TEXT NOT NULL DEFAULT '{}',
    details TEXT NOT NULL DEFAULT '{}',
    callback_url TEXT NOT NULL DEFAULT '',
    return_url TEXT NOT NULL DEFAULT '',
    cancel_url TEXT NOT NULL DEFAULT '',
    callback_mode TEXT NOT NULL DEFAULT 'normal',
    pending_forever INTEGER NOT NULL DEFAULT 0,
    settle_at REAL,
    settle_status TEXT,
    callback_token TEXT NOT NULL DEFAULT '',
    dedup_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    settled_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS transactions_due ON transactions (settle_at)
    WHERE settle_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    tx_token TEXT NOT NULL,
    callback_token TEXT NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    response_status INTEGER,
    error TEXT,
    delivered INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_JSON_COLUMNS = ("custom_data", "details")


class DuplicateTransaction(Exception):
    """A transaction with the same de-duplication key exists already."""


class InsufficientBalance(Exception):
    """The merchant balance cannot cover a payout."""


class StoreUnreadable(Exception):
    """The database file cannot be opened or is not a sandbox database."""


def _not_finite(constant: str) -> None:
    # A database written before the request checks existed may hold ``Infinity``: read it
    # as null so that one bad row never makes the whole state unreadable.
    return None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_not_finite)
    except (ValueError, RecursionError):
        return {}


def _column(name: str, value: Any) -> Any:
    """A Python value as the database stores it."""
    if name in _JSON_COLUMNS:
        return json.dumps(value, allow_nan=False)
    if name == "callback_mode":
        return str(value)
    if name == "pending_forever":
        return int(bool(value))
    return value


def _mode(text: Any) -> CallbackMode:
    try:
        return CallbackMode.parse(text)
    except ValueError:
        return CallbackMode()


def _decode(row: Optional[sqlite3.Row]) -> Optional[Transaction]:
    if row is None:
        return None
    data = dict(row)
    for column in _JSON_COLUMNS:
        value = _load_json(data[column])
        data[column] = value if isinstance(value, dict) else {}
    data["callback_mode"] = _mode(data["callback_mode"])
    data["pending_forever"] = bool(data["pending_forever"])
    if data["settle_at"] is not None and not math.isfinite(data["settle_at"]):
        data["settle_at"] = None
    return Transaction(**{k: v for k, v in data.items() if k in TRANSACTION_FIELDS})


class Store:
    """The sandbox's database; every method is thread-safe."""

    def __init__(self, path: str, initial_balance: int) -> None:
        self.lock = threading.RLock()
        self._initial_balance = initial_balance
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnreadable(f"cannot open it ({exc})") from None
        self._db.row_factory = sqlite3.Row
        try:
            with self.lock:
                if path != ":memory:":
                    self._db.execute("PRAGMA journal_mode=WAL")
                    self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('balance', ?)",
                    (str(initial_balance),),
                )
                self._db.execute("SELECT token, kind, status FROM transactions LIMIT 1")
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreUnreadable(f"not a sandbox database ({exc})") from None

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self.lock:
            self._db.close()

    # -- transactions ------------------------------------------------------------------

    def create_transaction(
        self,
        build: Callable[[int], Transaction],
        *,
        debit: int = 0,
    ) -> Transaction:
        """Insert the record ``build(new_id)`` returns; optionally debit the balance atomically.

        Raises ``DuplicateTransaction`` when the record's ``dedup_key`` exists already and
        ``InsufficientBalance`` when ``debit`` exceeds the balance (nothing is written then).
        """
        with self.lock:
            (last,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM transactions").fetchone()
            record = build(int(last) + 1)
            dedup_key = record.dedup_key
            if dedup_key is not None:
                found = self._db.execute(
                    "SELECT 1 FROM transactions WHERE dedup_key = ?", (dedup_key,)
                ).fetchone()
                if found:
                    raise DuplicateTransaction(dedup_key)
            if debit and self.balance() < debit:
                raise InsufficientBalance(debit)
            row = {f: _column(f, getattr(record, f)) for f in sorted(TRANSACTION_FIELDS)}
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    f"INSERT INTO transactions ({columns}) VALUES ({marks})",  # noqa: S608
                    tuple(row.values()),
                )
                if debit:
                    self.adjust_balance(-debit)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return record

    def get(self, token: str) -> Optional[Transaction]:
        """The transaction whose creation token is ``token``, or None."""
        with self.lock:
            row = self._db.execute("SELECT * FROM transactions WHERE token = ?", (token,))
            return _decode(row.fetchone())

    def transactions(self) -> list[Transaction]:
        """Every transaction, newest first."""
        with self.lock:
            rows = self._db.execute("SELECT * FROM transactions ORDER BY id DESC").fetchall()
        return [r for r in map(_decode, rows) if r is not None]

    def update(self, token: str, *, only_if_status: Optional[str] = None, **fields: Any) -> bool:
        """Set ``fields`` on a transaction (only while its status is ``only_if_status``).

        Returns whether a row changed: the status guard makes settlement happen once.
        """
        if not fields:
            return False
        unknown = set(fields) - TRANSACTION_FIELDS
        if unknown:
            raise TypeError(f"not a transaction field: {', '.join(sorted(unknown))}")
        values = [_column(k, v) for k, v in fields.items()]
        sets = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE transactions SET {sets} WHERE token = ?"  # noqa: S608
        values.append(token)
        if only_if_status is not None:
            sql += " AND status = ?"
            values.append(only_if_status)
        with self.lock:
            return self._db.execute(sql, values).rowcount == 1

    def due(self) -> list[tuple[str, float]]:
        """``(token, settle_at)`` of every pending transaction that has a settlement planned."""
        with self.lock:
            rows = self._db.execute(
                "SELECT token, settle_at FROM transactions "
                "WHERE settle_at IS NOT NULL AND status = 'pending'"
            ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    # -- balance -----------------------------------------------------------------------

    def balance(self) -> int:
        """The merchant balance in XOF."""
        with self.lock:
            (value,) = self._db.execute("SELECT value FROM meta WHERE key = 'balance'").fetchone()
        return int(value)

    def set_balance(self, value: int) -> None:
        """Replace the merchant balance."""
        with self.lock:
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'balance'", (str(value),))

    def adjust_balance(self, delta: int) -> int:
        """Add ``delta`` (may be negative) to the balance and return the new balance."""
        with self.lock:
            value = self.balance() + delta
            self.set_balance(value)
            return value

    # -- callback log ------------------------------------------------------------------

    def log_callback(self, entry: CallbackAttempt) -> None:
        """Append one delivery attempt to the log."""
        row = entry.as_dict()
        row["delivered"] = int(entry.delivered)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.lock:
            self._db.execute(
                f"INSERT INTO callbacks ({columns}) VALUES ({marks})",  # noqa: S608
                tuple(row.values()),
            )

    def callbacks(self, tx_token: Optional[str] = None) -> list[CallbackAttempt]:
        """Delivery attempts, oldest first, optionally only those of one transaction."""
        with self.lock:
            if tx_token is None:
                rows = self._db.execute("SELECT * FROM callbacks ORDER BY id").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM callbacks WHERE tx_token = ? ORDER BY id", (tx_token,)
                ).fetchall()
        result = []
        for row in rows:
            entry = dict(row)
            entry.pop("id", None)
            entry["delivered"] = bool(entry["delivered"])
            result.append(CallbackAttempt(**entry))
        return result

    # -- housekeeping ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every transaction and callback; put the balance back to its initial value."""
        with self.lock:
            self._db.execute("DELETE FROM transactions")
            self._db.execute("DELETE FROM callbacks")
            self.set_balance(self._initial_balance)
