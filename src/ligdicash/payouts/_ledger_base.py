"""The ledger's foundations: the SQL schema, worker identities, and the one conditional move.

The ledger's operations are in :mod:`._ledger`; this module holds what they stand on: what
a backend must supply, the parameter-style helper, row decoding, and :meth:`LedgerBase.move`.
"""

from __future__ import annotations

import abc
import os
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Optional

from .._observe import payout_moved
from .._stores._schema import Schema
from ._records import LedgerItem
from ._states import (
    check_transition,
)

__all__ = ["ITEM_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "LedgerBase", "WorkerIdentity"]

#: The ledger's layout version, kept in ``ligdicash_schema`` (component ``payouts``) like
#: the store's, so that one database may hold both.

SCHEMA_VERSION = 2
#: A worker of another host whose heartbeat is older than this is presumed dead (on this
#: host a worker is dead only when its process is gone, however long it was paused).
STALE_AFTER = 30.0

ITEM_COLUMNS = (
    "id, batch_id, position, reference, phone, amount, type, to_wallet, description, status, "
    "token, error_code, error, attempts, worker, updated_at, polled_at, resolution, line"
)

#: The database's own guarantee that two batches never both hold one reference, whatever
#: races between processes or hosts: of the items of a reference that are not cancelled,
#: exactly one has ``repeat_key = ''`` (the others, new payments the user allowed, carry
#: their own id). Checks before the insert only give the refusal its words.
_ONE_PAYMENT_PER_REFERENCE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payout_items_one_payment "
    "ON payout_items (reference, repeat_key)",
    "CREATE INDEX IF NOT EXISTS payout_items_recipient ON payout_items (phone, amount)",
)

# DOUBLE PRECISION and BIGINT: SQLite takes PostgreSQL's type names (affinity REAL/INTEGER).
SCHEMA = Schema(
    "payouts",
    SCHEMA_VERSION,
    (
        "CREATE TABLE IF NOT EXISTS payout_batches (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
        "item_count INTEGER NOT NULL, total BIGINT NOT NULL, paused_reason TEXT NOT NULL, "
        "created_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE IF NOT EXISTS payout_items (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, "
        "position INTEGER NOT NULL, reference TEXT NOT NULL, phone TEXT NOT NULL, "
        "amount BIGINT NOT NULL, type TEXT NOT NULL, to_wallet INTEGER NOT NULL, "
        "description TEXT NOT NULL, status TEXT NOT NULL, token TEXT NOT NULL DEFAULT '', "
        "error_code TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', "
        "attempts INTEGER NOT NULL DEFAULT 0, worker TEXT NOT NULL DEFAULT '', "
        "updated_at DOUBLE PRECISION NOT NULL, polled_at DOUBLE PRECISION NOT NULL DEFAULT 0, "
        "resolution TEXT NOT NULL DEFAULT '', line INTEGER NOT NULL DEFAULT 0, "
        "repeat_key TEXT NOT NULL DEFAULT '')",
        *_ONE_PAYMENT_PER_REFERENCE,
        "CREATE INDEX IF NOT EXISTS payout_items_claim "
        "ON payout_items (batch_id, status, position)",
        "CREATE INDEX IF NOT EXISTS payout_items_reference ON payout_items (reference)",
        # File order within a batch: the report and iter_items read it in chunks.
        "CREATE INDEX IF NOT EXISTS payout_items_position ON payout_items (batch_id, position)",
        # What callbacks for items without a token (in_doubt, sending) claimed: evidence
        # for the operator, never a settlement (a replayed hash can carry any body). One
        # row per item and claimed status, so that callbacks that disagree both show, and
        # a flood of forged posts cannot grow it beyond a few rows per item.
        "CREATE TABLE IF NOT EXISTS payout_callbacks (item_id TEXT NOT NULL, "
        "said_status TEXT NOT NULL, said_amount BIGINT, said_customer TEXT NOT NULL, "
        "hash_check TEXT NOT NULL, callback_token TEXT NOT NULL, "
        "first_at DOUBLE PRECISION NOT NULL, last_at DOUBLE PRECISION NOT NULL, "
        "received INTEGER NOT NULL, PRIMARY KEY (item_id, said_status))",
        "CREATE TABLE IF NOT EXISTS payout_workers (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, "
        "host TEXT NOT NULL, pid INTEGER NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL, "
        "started TEXT NOT NULL DEFAULT '')",
    ),
    migrations=(
        (
            2,
            (
                "ALTER TABLE payout_items ADD COLUMN line INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE payout_items ADD COLUMN repeat_key TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE payout_workers ADD COLUMN started TEXT NOT NULL DEFAULT ''",
                # Cancelled items free their reference; of the others (repeats let through
                # by allow_overlap, or a race lost by version 1), one holds it.
                "UPDATE payout_items SET repeat_key = id WHERE status = 'cancelled'",
                "UPDATE payout_items SET repeat_key = id WHERE repeat_key = '' AND id NOT IN "
                "(SELECT MIN(id) FROM payout_items WHERE repeat_key = '' GROUP BY reference)",
                *_ONE_PAYMENT_PER_REFERENCE,
            ),
        ),
    ),
)


class WorkerIdentity:
    """Who holds a ``sending`` item: host, process id (and when the process started, where
    the system says it) and a random suffix."""

    def __init__(self) -> None:
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started = process_started(self.pid)
        self.id = f"{self.host}:{self.pid}:{os.urandom(4).hex()}"


def process_started(pid: int) -> str:
    """When process ``pid`` started, in the system's clock ticks since boot (Linux's
    ``/proc``), or ``""`` where that cannot be read: it tells a live worker from another
    process that was given its pid later."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: count after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_alive(pid: int, started: str = "") -> bool:
    """Whether process ``pid`` of this host still runs (and is the one that started at
    ``started``, when both are known)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    except (OSError, OverflowError, ValueError):
        return False
    now = process_started(pid) if started else ""
    return not (started and now and now != started)


class LedgerBase(abc.ABC):
    """What every ledger backend supplies, the SQL helpers, and the one conditional move."""

    #: The parameter marker of the backend's driver.
    placeholder = "?"
    url = ""
    #: The driver's errors for a violated constraint (a reference or a batch id that
    #: another process inserted first).
    _integrity_errors: tuple[type[BaseException], ...] = ()

    # -- what a backend supplies ------------------------------------------------------

    @abc.abstractmethod
    @contextmanager
    def _transaction(self, *, immediate: bool = False, durable: bool = False) -> Iterator[Any]:
        """A cursor inside one transaction, committed on exit (rolled back on error).

        ``durable``: the commit is flushed to disk before returning (otherwise it survives
        a crash of this process, not necessarily of the machine).
        """

    @abc.abstractmethod
    def _claim_sql(self) -> str:
        """The query that picks the next pending item's id of a batch (locking it)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connections."""

    def _lock_references(self, cur: Any) -> None:
        """Hold, until ``cur``'s transaction ends, the lock that makes adding a batch one at
        a time, so that its check of the references it takes sees every batch added before.

        Nothing to do where the transaction already writes alone (SQLite's ``BEGIN
        IMMEDIATE``); the unique index stays the last word on every backend.
        """
        return None

    def _execute_one(self, sql: str, params: Sequence[Any], *, durable: bool) -> int:
        """Run one statement in its own transaction; return the rows it changed."""
        with self._transaction(durable=durable) as cur:
            cur.execute(self._sql(sql), tuple(params))
            return int(cur.rowcount)

    # -- helpers ----------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @staticmethod
    def _item(row: Sequence[Any]) -> LedgerItem:
        return LedgerItem(
            id=row[0],
            batch_id=row[1],
            position=int(row[2]),
            reference=row[3],
            phone=row[4],
            amount=int(row[5]),
            type=row[6],
            to_wallet=bool(row[7]),
            description=row[8],
            status=row[9],
            token=row[10],
            error_code=row[11],
            error=row[12],
            attempts=int(row[13]),
            worker=row[14],
            updated_at=float(row[15]),
            polled_at=float(row[16]),
            resolution=row[17],
            line=int(row[18]),
        )

    def move(
        self,
        ledger_item_id: str,
        new_status: str,
        *,
        expect: Sequence[str],
        token: Optional[str] = None,
        error_code: Optional[str] = None,
        error: Optional[str] = None,
        resolution: Optional[str] = None,
        durable: bool = False,
    ) -> bool:
        """Move an item from one of ``expect`` to ``new_status``; False if it was elsewhere.

        Only claims and operators' decisions are flushed to disk before returning
        (``durable``); other moves are committed, so a crashed *process* never loses them,
        but a power cut may: an item then falls back to ``sending``, which recovery turns
        into ``in_doubt``, never into a second payment.

        Raises:
            LedgerStateError: a move from ``expect`` to ``new_status`` is not allowed.
        """
        for current in expect:
            check_transition(current, new_status)
        sets = ["status = ?", "updated_at = ?"]
        params: list[Any] = [new_status, time.time()]
        for name, value in (
            ("token", token),
            ("error_code", error_code),
            ("error", error),
            ("resolution", resolution),
        ):
            if value is not None:
                sets.append(f"{name} = ?")
                params.append(value[:1000])
        marks = ", ".join("?" for _ in expect)
        changed = self._execute_one(
            f"UPDATE payout_items SET {', '.join(sets)} "  # noqa: S608
            f"WHERE id = ? AND status IN ({marks})",
            (*params, ledger_item_id, *expect),
            durable=durable,
        )
        if changed == 1:
            payout_moved(new_status)
        return changed == 1
