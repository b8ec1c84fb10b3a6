"""The payment registry on Redis (hashes ``P:pay:<reference>``, zsets ``P:pay:due``/``all``)."""

from __future__ import annotations

from typing import Any, Optional

from ._base import check_key, check_lease, check_payment, check_text, new_owner
from ._redis_base import RedisBase, _hash, _s, _t
from ._types import PaymentClaim, PaymentKind, PaymentRecord

__all__ = ["RedisRegistry"]


class RedisRegistry(RedisBase):
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
        raw = self._script(
            "RECORD_PAYMENT",
            [self._k("pay", reference), self._k("pay", "due"), self._k("pay", "all")],
            [
                reference,
                kind,
                str(amount),
                token or "",
                "0" if token is None else "1",
                _t(now),
                _t(now if next_poll_at is None else next_poll_at),
            ],
        )
        return self._payment(reference, raw)

    def set_payment_token(self, reference: str, token: str) -> bool:
        check_key(reference, "reference")
        check_text(token, "token", limit=4000)
        return bool(
            self._script(
                "SET_PAYMENT_FIELD",
                [self._k("pay", reference)],
                ["token", token, _t(self._clock())],
            )
        )

    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        check_key(reference, "reference")
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return bool(
            self._script(
                "SET_PAYMENT_STATUS",
                [self._k("pay", reference), self._k("pay", "due")],
                [reference, status, note, _t(self._clock())],
            )
        )

    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        lease = check_lease(lease_seconds)
        if limit <= 0:
            return []
        now, owner = self._clock(), new_owner()
        raws = self._script(
            "CLAIM_DUE",
            [self._k("pay", "due")],
            [self.prefix, owner, _t(now + lease), _t(now), _t(now - older_than), str(int(limit))],
        )
        payments = [self._payment(_s(_hash(raw)["reference"]), raw) for raw in raws]
        payments.sort(key=lambda p: (p.next_poll_at, p.reference))
        return [PaymentClaim(p, owner, now + lease) for p in payments]

    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return bool(
            self._script(
                "FINISH_POLL",
                [self._k("pay", claim.reference), self._k("pay", "due")],
                [claim.reference, claim.owner, status, _t(next_poll_at), note, _t(self._clock())],
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
