"""The payment registry in SQL (SQLite, PostgreSQL, Django's connection): the atomic writes
under ``_registry_flow.RegistryFlow``, and the reads."""

from __future__ import annotations

from typing import Optional

from ._registry_flow import RegistryFlow
from ._sql_base import Row, SQLBase
from ._types import PaymentClaim, PaymentRecord

__all__ = ["SQLRegistry"]

INSERT = (
    "INSERT INTO {payments} ({payment_columns}) "
    "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0, '', 0, '') ON CONFLICT (reference) DO NOTHING"
)
SET_TOKEN = "UPDATE {payments} SET token = ?, updated_at = ? WHERE reference = ?"
SET_STATUS = "UPDATE {payments} SET status = ?, note = ?, updated_at = ? WHERE reference = ?"
LEASE_DUE = (
    "WITH picked AS MATERIALIZED (SELECT reference FROM {payments} "
    "WHERE {payment_due} AND created_at <= ? ORDER BY next_poll_at, reference LIMIT ?{lock}) "
    "UPDATE {payments} SET owner = ?, lease_until = ? "
    "WHERE reference IN (SELECT reference FROM picked) AND {payment_due} "
    "RETURNING {payment_columns}"
)
POLL_RESULT = (
    "UPDATE {payments} SET status = ?, next_poll_at = ?, poll_attempts = poll_attempts + 1, "
    "lease_until = 0, note = ?, updated_at = ? "
    "WHERE reference = ? AND owner = ? AND lease_until > 0"
)
GET = "SELECT {payment_columns} FROM {payments} WHERE reference = ?"
LIST = "SELECT {payment_columns} FROM {payments} ORDER BY created_at, reference LIMIT ?"
LIST_STATUS = (
    "SELECT {payment_columns} FROM {payments} WHERE status = ? "
    "ORDER BY created_at, reference LIMIT ?"
)
COUNTS = "SELECT status, COUNT(*) FROM {payments} GROUP BY status"


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


class SQLRegistry(SQLBase, RegistryFlow):
    """The :class:`PaymentRegistryStore` part of the SQL stores: created payments and
    their poll schedule, leased to one poller each."""

    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        self._exec(
            INSERT,
            (
                new.reference,
                new.kind,
                new.amount,
                new.token,
                new.created_at,
                new.updated_at,
                new.next_poll_at,
            ),
        )
        record = self.get_payment(new.reference)
        assert record is not None  # inserted, or there already
        return record

    def _write_payment_token(self, reference: str, token: str, now: float) -> bool:
        count, _ = self._exec(SET_TOKEN, (token, now, reference))
        return count == 1

    def _write_payment_status(self, reference: str, status: str, note: str, now: float) -> bool:
        count, _ = self._exec(SET_STATUS, (status, note, now, reference))
        return count == 1

    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        params = (now, now, created_before, limit, owner, until, now, now)
        _, rows = self._exec(LEASE_DUE, params)
        return [_payment(row) for row in rows]

    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
        params = (status, next_poll_at, note, now, claim.reference, claim.owner)
        count, _ = self._exec(POLL_RESULT, params)
        return count == 1

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        rows = self._rows(GET, (reference,))
        return _payment(rows[0]) if rows else None

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        if status is None:
            rows = self._rows(LIST, (int(limit),))
        else:
            rows = self._rows(LIST_STATUS, (status, int(limit)))
        return [_payment(row) for row in rows]

    def payment_counts(self) -> dict[str, int]:
        return {str(status): int(count) for status, count in self._rows(COUNTS, ())}
