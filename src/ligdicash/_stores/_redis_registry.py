"""The payment registry on Redis: hashes ``P:pay:<reference>``; zsets
``P:index:pay:due`` and ``P:index:pay:all``."""

from __future__ import annotations

from typing import Any, Optional

from ._base import check_key
from ._redis_base import RedisBase, _hash, _s, _t
from ._registry_flow import RegistryFlow
from ._types import PaymentClaim, PaymentRecord

__all__ = ["RedisRegistry"]


class RedisRegistry(RegistryFlow, RedisBase):
    """Created payments and their poll schedule, leased to one poller each (Lua scripts)."""

    def _payment(self, reference: str, raw: Any) -> PaymentRecord:
        h = _hash(raw)
        token = h.get("token")
        return PaymentRecord(
            reference,
            _s(h["kind"]),  # type: ignore[arg-type]
            int(h["amount"]),
            None if token is None else _s(token),
            _s(h["status"]),
            float(h["created_at"]),
            float(h["updated_at"]),
            float(h["next_poll_at"]),
            int(h["poll_attempts"]),
            _s(h["owner"]),
            float(h["lease_until"]),
            _s(h["note"]),
        )

    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        raw = self._script(
            "RECORD_PAYMENT",
            [self._k("pay", new.reference), self._index("pay", "due"), self._index("pay", "all")],
            [
                new.reference,
                new.kind,
                str(new.amount),
                new.token or "",
                "0" if new.token is None else "1",
                _t(new.created_at),
                _t(new.next_poll_at),
            ],
        )
        return self._payment(new.reference, raw)

    def _write_payment_token(self, reference: str, token: str, now: float) -> bool:
        check_key(reference, "reference")  # it names a Redis key
        return bool(
            self._script(
                "SET_PAYMENT_FIELD", [self._k("pay", reference)], ["token", token, _t(now)]
            )
        )

    def _write_payment_status(self, reference: str, status: str, note: str, now: float) -> bool:
        check_key(reference, "reference")  # it names a Redis key
        return bool(
            self._script(
                "SET_PAYMENT_STATUS",
                [self._k("pay", reference), self._index("pay", "due")],
                [reference, status, note, _t(now)],
            )
        )

    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        raws = self._script(
            "CLAIM_DUE",
            [self._index("pay", "due")],
            [self.prefix, owner, _t(until), _t(now), _t(created_before), str(limit)],
        )
        return [self._payment(_s(_hash(raw)["reference"]), raw) for raw in raws]

    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
        return bool(
            self._script(
                "FINISH_POLL",
                [self._k("pay", claim.reference), self._index("pay", "due")],
                [claim.reference, claim.owner, status, _t(next_poll_at), note, _t(now)],
            )
        )

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        check_key(reference, "reference")
        raw = self._call(lambda: self._client.hgetall(self._k("pay", reference)))
        return self._payment(reference, raw) if raw else None

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        records = []
        for reference in self._all("pay"):
            record = self.get_payment(reference)
            if record is not None and (status is None or record.status == status):
                records.append(record)
                if len(records) >= limit:
                    break
        return records

    def payment_counts(self) -> dict[str, int]:
        return self._counts("pay", "status")
