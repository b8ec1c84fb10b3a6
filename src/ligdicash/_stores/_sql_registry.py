"""The payment registry's SQL, shared by SQLite and PostgreSQL (see ``_sql.py``)."""

from __future__ import annotations

from typing import Optional

from ._base import check_lease, check_payment, check_text, new_owner
from ._sql_base import Row, SQLBase
from ._types import PaymentClaim, PaymentKind, PaymentRecord

__all__ = ["SQLRegistry"]

_PAYMENT_COLUMNS = (
    "reference, kind, amount, token, status, created_at, updated_at, next_poll_at, "
    "poll_attempts, owner, lease_until, note"
)
_PAYMENT_DUE = "status = 'pending' AND next_poll_at <= ? AND lease_until <= ?"


def _payment(row: Row) -> PaymentRecord:
    return PaymentRecord(
        str(row[0]),
        row[1],
        int(row[2]),
        None if row[3] is None else str(row[3]),
        str(row[4]),
        float(row[5]),
        float(row[6]),
        float(row[7]),
        int(row[8]),
        str(row[9]),
        float(row[10]),
        str(row[11]),
    )


class SQLRegistry(SQLBase):
    """Created payments and their poll schedule, leased to one poller each."""

    def record_payment(
        self,
        reference: str,
        *,
        kind: PaymentKind,
        amount: int,
        token: Optional[str] = None,
        next_poll_at: Optional[float] = None,
    ) -> PaymentRecord:
        check_payment(reference, kind, amount, token)
        now = self._clock()
        self._run(
            f"INSERT INTO ligdicash_payments ({_PAYMENT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0, '', 0, '') "
            "ON CONFLICT (reference) DO NOTHING",
            (
                reference,
                kind,
                amount,
                token,
                now,
                now,
                now if next_poll_at is None else next_poll_at,
            ),
            write=True,
        )
        record = self.get_payment(reference)
        assert record is not None  # inserted, or there already
        return record

    def set_payment_token(self, reference: str, token: str) -> bool:
        check_text(token, "token", limit=4000)
        count, _ = self._run(
            "UPDATE ligdicash_payments SET token = ?, updated_at = ? WHERE reference = ?",
            (token, self._clock(), reference),
            write=True,
        )
        return count == 1

    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        count, _ = self._run(
            "UPDATE ligdicash_payments SET status = ?, note = ?, updated_at = ? "
            "WHERE reference = ?",
            (status, note, self._clock(), reference),
            write=True,
        )
        return count == 1

    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        lease = check_lease(lease_seconds)
        if limit <= 0:
            return []
        now = self._clock()
        owner, until = new_owner(), now + lease
        _, rows = self._run(
            "WITH picked AS MATERIALIZED (SELECT reference FROM ligdicash_payments "
            f"WHERE {_PAYMENT_DUE} AND created_at <= ? ORDER BY next_poll_at, reference "
            f"LIMIT ?{self._row_lock}) "
            "UPDATE ligdicash_payments SET owner = ?, lease_until = ? "
            f"WHERE reference IN (SELECT reference FROM picked) AND {_PAYMENT_DUE} "
            f"RETURNING {_PAYMENT_COLUMNS}",
            (now, now, now - older_than, int(limit), owner, until, now, now),
            write=True,
        )
        payments = sorted(
            (_payment(row) for row in rows), key=lambda p: (p.next_poll_at, p.reference)
        )
        return [PaymentClaim(p, owner, until) for p in payments]

    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        count, _ = self._run(
            "UPDATE ligdicash_payments SET status = ?, next_poll_at = ?, "
            "poll_attempts = poll_attempts + 1, lease_until = 0, note = ?, updated_at = ? "
            "WHERE reference = ? AND owner = ? AND lease_until > 0",
            (status, float(next_poll_at), note, self._clock(), claim.reference, claim.owner),
            write=True,
        )
        return count == 1

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        rows = self._rows(
            f"SELECT {_PAYMENT_COLUMNS} FROM ligdicash_payments WHERE reference = ?", (reference,)
        )
        return _payment(rows[0]) if rows else None

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        where, params = ("WHERE status = ? ", (status,)) if status is not None else ("", ())
        rows = self._rows(
            f"SELECT {_PAYMENT_COLUMNS} FROM ligdicash_payments {where}"
            "ORDER BY created_at, reference LIMIT ?",
            (*params, int(limit)),
        )
        return [_payment(row) for row in rows]

    def payment_counts(self) -> dict[str, int]:
        return {
            str(status): int(count)
            for status, count in self._rows(
                "SELECT status, COUNT(*) FROM ligdicash_payments GROUP BY status", ()
            )
        }
