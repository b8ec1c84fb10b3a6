"""The payment registry on the Django ORM (model ``TrackedPayment``)."""

from __future__ import annotations

from typing import Any, Optional

from django.db.models import Count, F, Q  # type: ignore[import-untyped,unused-ignore]

from ..._stores._base import (
    check_lease,
    check_payment,
    check_text,
    new_owner,
)
from ..._stores._types import (
    PaymentClaim,
    PaymentKind,
    PaymentRecord,
)
from ._store_base import DjangoBase
from .models import TrackedPayment

__all__ = ["DjangoRegistry"]


def _due(now: float) -> Any:
    return Q(status="pending", next_poll_at__lte=now, lease_until__lte=now)


def _payment(row: Any) -> PaymentRecord:
    return PaymentRecord(
        row.reference,
        row.kind,
        int(row.amount),
        row.token,
        row.status,
        row.created_at,
        row.updated_at,
        row.next_poll_at,
        row.poll_attempts,
        row.owner,
        row.lease_until,
        row.note,
    )


class DjangoRegistry(DjangoBase):
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

        def record() -> PaymentRecord:
            now = self._clock()
            self._insert(
                TrackedPayment,
                reference=reference,
                kind=kind,
                amount=amount,
                token=token,
                status="pending",
                created_at=now,
                updated_at=now,
                next_poll_at=now if next_poll_at is None else next_poll_at,
                poll_attempts=0,
                owner="",
                lease_until=0.0,
                note="",
            )
            return _payment(self._q(TrackedPayment).get(reference=reference))

        return self._call(record)  # type: ignore[no-any-return]

    def _update_payment(self, reference: str, **changes: Any) -> bool:
        return bool(
            self._call(
                lambda: (
                    self._q(TrackedPayment)
                    .filter(reference=reference)
                    .update(updated_at=self._clock(), **changes)
                )
            )
        )

    def set_payment_token(self, reference: str, token: str) -> bool:
        check_text(token, "token", limit=4000)
        return self._update_payment(reference, token=token)

    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return self._update_payment(reference, status=status, note=note)

    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        lease = check_lease(lease_seconds)
        if limit <= 0:
            return []

        def claim_due() -> list[PaymentClaim]:
            now = self._clock()
            owner, until = new_owner(), now + lease
            candidates = (
                self._q(TrackedPayment)
                .filter(_due(now), created_at__lte=now - older_than)
                .order_by("next_poll_at", "reference")
            )
            self._lease_rows(
                TrackedPayment, candidates, limit, _due(now), owner=owner, lease_until=until
            )
            rows = self._q(TrackedPayment).filter(owner=owner, lease_until=until)
            payments = [_payment(row) for row in rows.order_by("next_poll_at", "reference")]
            return [PaymentClaim(p, owner, until) for p in payments]

        return self._call(claim_due)  # type: ignore[no-any-return]

    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return bool(
            self._call(
                lambda: (
                    self._q(TrackedPayment)
                    .filter(reference=claim.reference, owner=claim.owner, lease_until__gt=0)
                    .update(
                        status=status,
                        next_poll_at=next_poll_at,
                        poll_attempts=F("poll_attempts") + 1,
                        lease_until=0.0,
                        note=note,
                        updated_at=self._clock(),
                    )
                )
            )
        )

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        row = self._call(lambda: self._q(TrackedPayment).filter(reference=reference).first())
        return None if row is None else _payment(row)

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        query = self._q(TrackedPayment).order_by("created_at", "reference")
        if status is not None:
            query = query.filter(status=status)
        return self._call(lambda: [_payment(row) for row in query[:limit]])  # type: ignore[no-any-return]

    def payment_counts(self) -> dict[str, int]:
        rows = self._call(
            lambda: list(self._q(TrackedPayment).values_list("status").annotate(n=Count("pk")))
        )
        return {status: int(n) for status, n in rows}
