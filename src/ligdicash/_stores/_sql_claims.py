"""Claims in SQL (SQLite, PostgreSQL, Django's connection), one atomic statement each.

A claim is an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <claimable> RETURNING``: a new
key, or one released or whose lease lapsed, is won by exactly one caller; the others read
why they lost (done, or busy until when).
"""

from __future__ import annotations

from typing import Optional

from ._base import ClaimStore, check_key, check_lease, check_text, new_owner
from ._sql_base import Row, SQLBase
from ._types import Claim, IdempotencyRecord, ReleaseState

__all__ = ["SQLClaims"]

CLAIM = (
    "INSERT INTO {idem} ({idem_columns}) VALUES (?, 'processing', ?, ?, 1, '', ?) "
    "ON CONFLICT (key) DO UPDATE SET state = 'processing', owner = excluded.owner, "
    "lease_until = excluded.lease_until, attempts = {idem}.attempts + 1, "
    "updated_at = excluded.updated_at "
    "WHERE {idem}.state IN ('unconfirmed', 'failed') "
    "OR ({idem}.state = 'processing' AND {idem}.lease_until <= ?) RETURNING owner"
)
CLAIM_STATE = "SELECT state, lease_until FROM {idem} WHERE key = ?"
RENEW = (
    "UPDATE {idem} SET lease_until = ?, updated_at = ? "
    "WHERE key = ? AND owner = ? AND state = 'processing' AND lease_until > ?"
)
COMPLETE = (
    "UPDATE {idem} SET state = 'done', lease_until = 0, note = ?, updated_at = ? "
    "WHERE key = ? RETURNING owner"
)
# A key never claimed here (a store swapped mid-flight) is still done for ever.
COMPLETE_UNCLAIMED = (
    "INSERT INTO {idem} ({idem_columns}) VALUES (?, 'done', ?, 0, 1, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET state = 'done', lease_until = 0, "
    "note = excluded.note, updated_at = excluded.updated_at"
)
RELEASE = (
    "UPDATE {idem} SET state = ?, lease_until = 0, note = ?, updated_at = ? "
    "WHERE key = ? AND owner = ? AND state = 'processing'"
)
GET = "SELECT {idem_columns} FROM {idem} WHERE key = ?"


def _record(row: Row) -> IdempotencyRecord:
    return IdempotencyRecord(
        str(row[0]), row[1], str(row[2]), float(row[3]), int(row[4]), str(row[5]), float(row[6])
    )


class SQLClaims(SQLBase, ClaimStore):
    """The :class:`ClaimStore` half of the SQL stores."""

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        check_key(key)
        lease = check_lease(lease_seconds)
        for _ in range(5):  # the key changes state between the two statements: rare, retry
            now = self._clock()
            owner, until = new_owner(), now + lease
            _, won = self._exec(CLAIM, (key, owner, until, now, now))
            if won:
                return Claim(key, "claimed", owner, until)
            rows = self._rows(CLAIM_STATE, (key,))
            if rows and rows[0][0] == "done":
                return Claim(key, "done")
            if rows and rows[0][0] == "processing" and float(rows[0][1]) > now:
                return Claim(key, "busy", lease_until=float(rows[0][1]))
        return Claim(key, "busy")

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        count, _ = self._exec(RENEW, (now + lease, now, claim.key, claim.owner, now))
        return count == 1

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        check_text(note, "note")
        now = self._clock()
        _, rows = self._exec(COMPLETE, (note, now, claim.key))
        if rows:
            return str(rows[0][0]) == claim.owner
        self._exec(COMPLETE_UNCLAIMED, (claim.key, claim.owner, note, now))
        return False

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        check_text(note, "note")
        if state not in ("unconfirmed", "failed"):
            raise ValueError("state must be 'unconfirmed' or 'failed'")
        count, _ = self._exec(RELEASE, (state, note, self._clock(), claim.key, claim.owner))
        return count == 1

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        rows = self._rows(GET, (key,))
        return _record(rows[0]) if rows else None
