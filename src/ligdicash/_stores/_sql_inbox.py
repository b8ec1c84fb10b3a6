"""The callback inbox in SQL (SQLite, PostgreSQL, Django's connection), one atomic
statement per operation.

A lease on an entry is an ``UPDATE ... WHERE <claimable> RETURNING``; the next entry is
picked by ``WITH picked AS MATERIALIZED (SELECT ... LIMIT 1 {lock})``: PostgreSQL may re-run
an ``IN (sub-select)`` per row, LIMIT and all, where the CTE picks (and locks, with
``FOR UPDATE SKIP LOCKED``) the row once.
"""

from __future__ import annotations

from typing import Optional

from ._base import (
    INBOX_STATES,
    InboxStore,
    check_body,
    check_key,
    check_lease,
    check_text,
    inbox_digest,
    new_owner,
)
from ._sql_base import Row, SQLBase
from ._types import InboxClaim, InboxEntry, InboxState

__all__ = ["SQLInbox"]

PUT = (
    "INSERT INTO {inbox} ({inbox_columns}) VALUES (?, ?, ?, ?, 'pending', '', 0, 0, 1, '', ?) "
    "ON CONFLICT (digest) DO UPDATE SET deliveries = {inbox}.deliveries + 1 "
    "RETURNING {inbox_columns}"
)
_LEASE = (
    "UPDATE {inbox} SET state = 'processing', owner = ?, lease_until = ?, "
    "attempts = attempts + 1, updated_at = ? WHERE "
)
LEASE = _LEASE + "digest = ? AND {inbox_claimable} RETURNING {inbox_columns}"
LEASE_NEXT = (
    "WITH picked AS MATERIALIZED (SELECT digest FROM {inbox} WHERE {inbox_claimable} "
    "ORDER BY received_at, digest LIMIT 1{lock}) "
    + _LEASE
    + "digest IN (SELECT digest FROM picked) AND {inbox_claimable} RETURNING {inbox_columns}"
)
ANY_CLAIMABLE = "SELECT digest FROM {inbox} WHERE {inbox_claimable} LIMIT 1"
RENEW = (
    "UPDATE {inbox} SET lease_until = ?, updated_at = ? WHERE digest = ? "
    "AND owner = ? AND state = 'processing' AND lease_until > ?"
)
SETTLE = (
    "UPDATE {inbox} SET state = ?, lease_until = 0, outcome = ?, updated_at = ? "
    "WHERE digest = ? AND owner = ? AND state = 'processing'"
)
DISCARD = "DELETE FROM {inbox} WHERE digest = ? AND owner = ? AND state = 'processing'"
# Through the (state, received_at) index: only the done rows are read.
PURGE = (
    "DELETE FROM {inbox} WHERE digest IN (SELECT digest FROM {inbox} "
    "WHERE state = 'done' AND updated_at <= ? LIMIT ?)"
)
BACKLOG = "SELECT COUNT(*) FROM {inbox} WHERE state IN ('pending', 'processing')"
GET = "SELECT {inbox_columns} FROM {inbox} WHERE digest = ?"
LIST = "SELECT {inbox_columns} FROM {inbox} ORDER BY received_at, digest LIMIT ?"
LIST_STATE = (
    "SELECT {inbox_columns} FROM {inbox} WHERE state = ? ORDER BY received_at, digest LIMIT ?"
)
COUNTS = "SELECT state, COUNT(*) FROM {inbox} GROUP BY state"


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


class SQLInbox(SQLBase, InboxStore):
    """The :class:`InboxStore` half of the SQL stores."""

    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        body = check_body(body)
        check_text(content_type, "content_type", limit=255)
        now = self._clock()
        received = now if received_at is None else float(received_at)
        _, rows = self._exec(
            PUT, (inbox_digest(body, content_type), body, content_type, received, now)
        )
        return _entry(rows[0])

    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        check_key(digest, "digest")
        lease = check_lease(lease_seconds)
        now = self._clock()
        owner = new_owner()
        _, rows = self._exec(LEASE, (owner, now + lease, now, digest, now))
        return InboxClaim(_entry(rows[0]), owner, now + lease) if rows else None

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)
        for _ in range(5):  # on PostgreSQL a row picked can be taken meanwhile: try the next
            now = self._clock()
            owner = new_owner()
            _, rows = self._exec(LEASE_NEXT, (now, owner, now + lease, now, now))
            if rows:
                return InboxClaim(_entry(rows[0]), owner, now + lease)
            if not self._rows(ANY_CLAIMABLE, (now,)):
                return None
        return None

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        count, _ = self._exec(RENEW, (now + lease, now, claim.digest, claim.owner, now))
        return count == 1

    def _settle_entry(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        params = (state, outcome, self._clock(), claim.digest, claim.owner)
        count, _ = self._exec(SETTLE, params)
        return count == 1

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle_entry(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle_entry(claim, "pending", outcome)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        count, _ = self._exec(DISCARD, (claim.digest, claim.owner))
        return count == 1

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        cutoff = self._clock() - float(older_than)
        count, _ = self._exec(PURGE, (cutoff, max(0, int(limit))))
        return int(count)

    def inbox_backlog(self) -> int:
        return int(self._rows(BACKLOG, ())[0][0])

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        rows = self._rows(GET, (digest,))
        return _entry(rows[0]) if rows else None

    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        if state is None:
            rows = self._rows(LIST, (int(limit),))
        else:
            rows = self._rows(LIST_STATE, (state, int(limit)))
        return [_entry(row) for row in rows]

    def inbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INBOX_STATES, 0)
        for state, count in self._rows(COUNTS, ()):
            counts[str(state)] = int(count)
        return counts
