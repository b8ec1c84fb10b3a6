"""The payment registry on the Django ORM (model ``TrackedPayment``): the atomic writes under
``_stores._registry_flow.RegistryFlow``, and the reads."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from django.db.models import Count, F, Q  # type: ignore[import-untyped,unused-ignore]

from ..._stores._registry_flow import RegistryFlowByChanges
from ..._stores._types import PaymentClaim, PaymentRecord
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


class DjangoRegistry(RegistryFlowByChanges, DjangoBase):
    """Created payments and their poll schedule, leased to one poller each."""

    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        def record() -> PaymentRecord:
            # The model's fields are the record's, by name.
            self._insert(TrackedPayment, **dataclasses.asdict(new))
            return _payment(self._q(TrackedPayment).get(reference=new.reference))

        return self._call(record)  # type: ignore[no-any-return]

    def _update_payment(self, reference: str, **changes: Any) -> bool:
        return bool(
            self._call(
                lambda: self._q(TrackedPayment).filter(reference=reference).update(**changes)
            )
        )

    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        def lease_due() -> list[PaymentRecord]:
            candidates = (
                self._q(TrackedPayment)
                .filter(_due(now), created_at__lte=created_before)
                .order_by("next_poll_at", "reference")
            )
            self._lease_rows(
                TrackedPayment, candidates, limit, _due(now), owner=owner, lease_until=until
            )
            rows = self._q(TrackedPayment).filter(owner=owner, lease_until=until)
            return [_payment(row) for row in rows]

        return self._call(lease_due)  # type: ignore[no-any-return]

    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
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
                        updated_at=now,
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
