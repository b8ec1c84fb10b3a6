"""The SQL every relational backend shares (SQLite and PostgreSQL), written once.

Each operation is ONE statement in autocommit mode, atomic by itself on both databases: a
claim is an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <claimable> RETURNING``; a lease
on an inbox entry or due payments is a ``WITH picked AS MATERIALIZED (SELECT ... LIMIT n
<lock>) UPDATE ... WHERE key IN picked AND <claimable> RETURNING`` where ``<lock>`` is
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent pollers take different rows) and
nothing on SQLite (whose writers are serialised). The backends only say how to run a
statement and how to create the schema; times are parameters, from the store's
(injectable) clock.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ._base import (
    INBOX_STATES,
    check_body,
    check_key,
    check_lease,
    check_text,
    inbox_digest,
    new_owner,
)
from ._schema import VERSION_QUERY, Schema
from ._sql_base import Row
from ._sql_registry import SQLRegistry
from ._types import (
    SCHEMA_VERSION,
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    ReleaseState,
)

__all__ = ["Row", "SQLStore", "store_schema"]


_IDEM_COLUMNS = "key, state, owner, lease_until, attempts, note, updated_at"
_INBOX_COLUMNS = (
    "digest, body, content_type, received_at, state, owner, lease_until, attempts, "
    "deliveries, outcome, updated_at"
)
_INBOX_CLAIMABLE = "(state = 'pending' OR (state = 'processing' AND lease_until <= ?))"


# Run once at import, before mutation testing can switch a mutant on: its mutants could
# never be killed (scripts/mutation.sh).
# pragma: no mutate start
def store_schema(*, real: str, blob: str, bigint: str) -> Schema:
    """The store's tables (claims, inbox, payments), with the backend's type names."""
    return Schema(
        "store",
        SCHEMA_VERSION,
        (
            "CREATE TABLE IF NOT EXISTS ligdicash_idempotency ("
            "key TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, attempts INTEGER NOT NULL DEFAULT 1, "
            f"note TEXT NOT NULL DEFAULT '', updated_at {real} NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ligdicash_inbox ("
            f"digest TEXT PRIMARY KEY, body {blob} NOT NULL, content_type TEXT NOT NULL, "
            f"received_at {real} NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, attempts INTEGER NOT NULL, "
            f"deliveries INTEGER NOT NULL, outcome TEXT NOT NULL, updated_at {real} NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ligdicash_inbox_ready "
            "ON ligdicash_inbox (state, received_at)",
            "CREATE TABLE IF NOT EXISTS ligdicash_payments ("
            f"reference TEXT PRIMARY KEY, kind TEXT NOT NULL, amount {bigint} NOT NULL, "
            f"token TEXT, status TEXT NOT NULL, created_at {real} NOT NULL, "
            f"updated_at {real} NOT NULL, next_poll_at {real} NOT NULL, "
            f"poll_attempts INTEGER NOT NULL, owner TEXT NOT NULL, "
            f"lease_until {real} NOT NULL, note TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ligdicash_payments_due ON ligdicash_payments "
            "(status, next_poll_at)",
        ),
    )


# pragma: no mutate end


def _idem(row: Row) -> IdempotencyRecord:
    return IdempotencyRecord(
        str(row[0]), row[1], str(row[2]), float(row[3]), int(row[4]), str(row[5]), float(row[6])
    )


def _entry(row: Row) -> InboxEntry:
    return InboxEntry(
        str(row[0]),
        bytes(row[1]),
        str(row[2]),
        float(row[3]),
        row[4],
        str(row[5]),
        float(row[6]),
        int(row[7]),
        int(row[8]),
        str(row[9]),
        float(row[10]),
    )


class SQLStore(SQLRegistry):
    """A :class:`Store` over one SQL database: claims and the inbox here, the payment
    registry in :class:`SQLRegistry`; subclasses provide :meth:`_run`."""

    # -- claims -----------------------------------------------------------------------

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        check_key(key)
        lease = check_lease(lease_seconds)
        for _ in range(5):  # the key changes state between the two statements: rare, retry
            now = self._clock()
            owner, until = new_owner(), now + lease
            _, won = self._run(
                f"INSERT INTO ligdicash_idempotency ({_IDEM_COLUMNS}) "
                "VALUES (?, 'processing', ?, ?, 1, '', ?) "
                "ON CONFLICT (key) DO UPDATE SET state = 'processing', owner = excluded.owner, "
                "lease_until = excluded.lease_until, "
                "attempts = ligdicash_idempotency.attempts + 1, updated_at = excluded.updated_at "
                "WHERE ligdicash_idempotency.state IN ('unconfirmed', 'failed') "
                "OR (ligdicash_idempotency.state = 'processing' "
                "AND ligdicash_idempotency.lease_until <= ?) RETURNING owner",
                (key, owner, until, now, now),
                write=True,
            )
            if won:
                return Claim(key, "claimed", owner, until)
            rows = self._rows(
                "SELECT state, lease_until FROM ligdicash_idempotency WHERE key = ?", (key,)
            )
            if rows and rows[0][0] == "done":
                return Claim(key, "done")
            if rows and rows[0][0] == "processing" and float(rows[0][1]) > now:
                return Claim(key, "busy", lease_until=float(rows[0][1]))
        return Claim(key, "busy")

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        count, _ = self._run(
            "UPDATE ligdicash_idempotency SET lease_until = ?, updated_at = ? "
            "WHERE key = ? AND owner = ? AND state = 'processing' AND lease_until > ?",
            (now + lease, now, claim.key, claim.owner, now),
            write=True,
        )
        return count == 1

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        check_text(note, "note")
        now = self._clock()
        _, rows = self._run(
            "UPDATE ligdicash_idempotency SET state = 'done', lease_until = 0, note = ?, "
            "updated_at = ? WHERE key = ? RETURNING owner",
            (note, now, claim.key),
            write=True,
        )
        if rows:
            return str(rows[0][0]) == claim.owner
        self._run(  # never claimed here (a store swapped mid-flight): still done for ever
            f"INSERT INTO ligdicash_idempotency ({_IDEM_COLUMNS}) "
            "VALUES (?, 'done', ?, 0, 1, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "state = 'done', lease_until = 0, note = excluded.note, "
            "updated_at = excluded.updated_at",
            (claim.key, claim.owner, note, now),
            write=True,
        )
        return False

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        check_text(note, "note")
        if state not in ("unconfirmed", "failed"):
            raise ValueError("state must be 'unconfirmed' or 'failed'")
        count, _ = self._run(
            "UPDATE ligdicash_idempotency SET state = ?, lease_until = 0, note = ?, "
            "updated_at = ? WHERE key = ? AND owner = ? AND state = 'processing'",
            (state, note, self._clock(), claim.key, claim.owner),
            write=True,
        )
        return count == 1

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        rows = self._rows(
            f"SELECT {_IDEM_COLUMNS} FROM ligdicash_idempotency WHERE key = ?", (key,)
        )
        return _idem(rows[0]) if rows else None

    # -- inbox ------------------------------------------------------------------------

    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        body = check_body(body)
        check_text(content_type, "content_type", limit=255)
        now = self._clock()
        _, rows = self._run(
            f"INSERT INTO ligdicash_inbox ({_INBOX_COLUMNS}) "
            "VALUES (?, ?, ?, ?, 'pending', '', 0, 0, 1, '', ?) "
            "ON CONFLICT (digest) DO UPDATE SET deliveries = ligdicash_inbox.deliveries + 1 "
            f"RETURNING {_INBOX_COLUMNS}",
            (
                inbox_digest(body, content_type),
                body,
                content_type,
                now if received_at is None else float(received_at),
                now,
            ),
            write=True,
        )
        return _entry(rows[0])

    def _lease_inbox(
        self,
        where: str,
        params: Sequence[Any],
        lease: float,
        *,
        pick: str = "",
        pick_params: Sequence[Any] = (),
    ) -> Optional[InboxClaim]:
        now = self._clock()
        owner = new_owner()
        _, rows = self._run(
            f"{pick}UPDATE ligdicash_inbox SET state = 'processing', owner = ?, lease_until = ?, "
            f"attempts = attempts + 1, updated_at = ? WHERE {where} AND {_INBOX_CLAIMABLE} "
            f"RETURNING {_INBOX_COLUMNS}",
            (*pick_params, owner, now + lease, now, *params, now),
            write=True,
        )
        return InboxClaim(_entry(rows[0]), owner, now + lease) if rows else None

    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        check_key(digest, "digest")
        return self._lease_inbox("digest = ?", (digest,), check_lease(lease_seconds))

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)
        for _ in range(5):  # on PostgreSQL a row picked can be taken meanwhile: try the next
            now = self._clock()
            # A materialised CTE: PostgreSQL may re-run an IN (sub-select) per row, LIMIT and
            # all; the CTE picks (and locks) the row once.
            claim = self._lease_inbox(
                "digest IN (SELECT digest FROM picked)",
                (),
                lease,
                pick_params=(now,),
                pick="WITH picked AS MATERIALIZED (SELECT digest FROM ligdicash_inbox "
                f"WHERE {_INBOX_CLAIMABLE} ORDER BY received_at, digest LIMIT 1{self._row_lock}) ",
            )
            if claim is not None:
                return claim
            if not self._rows(
                f"SELECT digest FROM ligdicash_inbox WHERE {_INBOX_CLAIMABLE} LIMIT 1", (now,)
            ):
                return None
        return None

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        count, _ = self._run(
            "UPDATE ligdicash_inbox SET lease_until = ?, updated_at = ? WHERE digest = ? "
            "AND owner = ? AND state = 'processing' AND lease_until > ?",
            (now + lease, now, claim.digest, claim.owner, now),
            write=True,
        )
        return count == 1

    def _settle_entry(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        count, _ = self._run(
            "UPDATE ligdicash_inbox SET state = ?, lease_until = 0, outcome = ?, updated_at = ? "
            "WHERE digest = ? AND owner = ? AND state = 'processing'",
            (state, outcome, self._clock(), claim.digest, claim.owner),
            write=True,
        )
        return count == 1

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle_entry(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle_entry(claim, "pending", outcome)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        count, _ = self._run(
            "DELETE FROM ligdicash_inbox WHERE digest = ? AND owner = ? AND state = 'processing'",
            (claim.digest, claim.owner),
            write=True,
        )
        return count == 1

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        # Through the (state, received_at) index: only the done rows are read.
        count, _ = self._run(
            "DELETE FROM ligdicash_inbox WHERE digest IN (SELECT digest FROM ligdicash_inbox "
            "WHERE state = 'done' AND updated_at <= ? LIMIT ?)",
            (self._clock() - float(older_than), max(0, int(limit))),
            write=True,
        )
        return int(count)

    def inbox_backlog(self) -> int:
        rows = self._rows(
            "SELECT COUNT(*) FROM ligdicash_inbox WHERE state IN ('pending', 'processing')", ()
        )
        return int(rows[0][0])

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        rows = self._rows(
            f"SELECT {_INBOX_COLUMNS} FROM ligdicash_inbox WHERE digest = ?", (digest,)
        )
        return _entry(rows[0]) if rows else None

    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        where, params = ("WHERE state = ? ", (state,)) if state is not None else ("", ())
        rows = self._rows(
            f"SELECT {_INBOX_COLUMNS} FROM ligdicash_inbox {where}"
            "ORDER BY received_at, digest LIMIT ?",
            (*params, int(limit)),
        )
        return [_entry(row) for row in rows]

    def inbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INBOX_STATES, 0)
        for state, count in self._rows(
            "SELECT state, COUNT(*) FROM ligdicash_inbox GROUP BY state", ()
        ):
            counts[str(state)] = int(count)
        return counts

    def schema_version(self) -> int:
        """The layout version recorded in ``ligdicash_schema`` (see ``SCHEMA_VERSION``)."""
        rows = self._rows(VERSION_QUERY, ("store",))
        return int(rows[0][0])
