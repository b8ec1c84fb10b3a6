"""The payment registry's SQL, shared by SQLite and PostgreSQL (see ``_sql.py``): the atomic
writes under ``_registry_flow.RegistryFlow``, and the reads."""

from __future__ import annotations

from typing import Optional

from ._registry_flow import RegistryFlow
from ._sql_base import Row, SQLBase
from ._types import PaymentClaim, PaymentRecord

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


class SQLRegistry(RegistryFlow, SQLBase):
    """Created payments and their poll schedule, leased to one poller each."""

    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        self._run(
            f"INSERT INTO ligdicash_payments ({_PAYMENT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0, '', 0, '') "
            "ON CONFLICT (reference) DO NOTHING",
            (
                new.reference,
                new.kind,
                new.amount,
                new.token,
                new.created_at,
                new.updated_at,
                new.next_poll_at,
            ),
            write=True,
        )
        record = self.get_payment(new.reference)
        assert record is not None  # inserted, or there already
        return record

    def _write_payment_token(self, reference: str, token: str, now: float) -> bool:
        count, _ = self._run(
            "UPDATE ligdicash_payments SET token = ?, updated_at = ? WHERE reference = ?",
            (token, now, reference),
            write=True,
        )
        return count == 1

    def _write_payment_status(self, reference: str, status: str, note: str, now: float) -> bool:
        count, _ = self._run(
            "UPDATE ligdicash_payments SET status = ?, note = ?, updated_at = ? "
            "WHERE reference = ?",
            (status, note, now, reference),
            write=True,
        )
        return count == 1

    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        _, rows = self._run(
            "WITH picked AS MATERIALIZED (SELECT reference FROM ligdicash_payments "
            f"WHERE {_PAYMENT_DUE} AND created_at <= ? ORDER BY next_poll_at, reference "
            f"LIMIT ?{self._row_lock}) "
            "UPDATE ligdicash_payments SET owner = ?, lease_until = ? "
            f"WHERE reference IN (SELECT reference FROM picked) AND {_PAYMENT_DUE} "
            f"RETURNING {_PAYMENT_COLUMNS}",
            (now, now, created_before, limit, owner, until, now, now),
            write=True,
        )
        return [_payment(row) for row in rows]

    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
        count, _ = self._run(
            "UPDATE ligdicash_payments SET status = ?, next_poll_at = ?, "
            "poll_attempts = poll_attempts + 1, lease_until = 0, note = ?, updated_at = ? "
            "WHERE reference = ? AND owner = ? AND lease_until > 0",
            (status, next_poll_at, note, now, claim.reference, claim.owner),
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
