"""The payment registry's writes, written once for every backend.

:class:`RegistryFlow` implements the :class:`~ligdicash._stores.PaymentRegistryStore`
methods that change a payment (``record_payment``, ``set_payment_token``,
``set_payment_status``, ``claim_due_payments``, ``finish_payment_poll``): the input checks,
the clock reading, the record a new payment starts as, the lease owner and the order of the
claims it hands back. A backend (memory, SQL, Redis) supplies only the atomic write behind
each one, as the ``_…`` hooks below, and its own reads (``get_payment``,
``list_payments``, ``payment_counts``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Callable, Optional

from ._base import PaymentRegistryStore, check_lease, check_payment, check_text, new_owner
from ._types import PaymentClaim, PaymentKind, PaymentRecord

__all__ = ["RegistryFlow", "RegistryFlowByChanges"]


class RegistryFlow(PaymentRegistryStore):
    """The registry part of a store, over a backend's atomic writes (the hooks)."""

    _clock: Callable[[], float]

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
        due = now if next_poll_at is None else next_poll_at
        new = PaymentRecord(
            reference, kind, amount, token, "pending", now, now, due, 0, "", 0.0, ""
        )
        return self._insert_payment(new)

    def set_payment_token(self, reference: str, token: str) -> bool:
        check_text(token, "token", limit=4000)
        return self._write_payment_token(reference, token, self._clock())

    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return self._write_payment_status(reference, status, note, self._clock())

    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        lease = check_lease(lease_seconds)
        if limit <= 0:
            return []
        now = self._clock()
        owner, until = new_owner(), now + lease
        leased = self._lease_due_payments(
            now=now, created_before=now - older_than, limit=int(limit), owner=owner, until=until
        )
        leased.sort(key=lambda p: (p.next_poll_at, p.reference))
        return [PaymentClaim(p, owner, until) for p in leased]

    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        check_text(status, "status", limit=64)
        check_text(note, "note")
        return self._write_poll_result(claim, status, float(next_poll_at), note, self._clock())

    # -- what a backend supplies: one atomic write each ------------------------------------

    @abstractmethod
    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        """Insert ``new`` unless its reference is recorded; return the stored record."""

    @abstractmethod
    def _write_payment_token(self, reference: str, token: str, now: float) -> bool:
        """Set the token (``updated_at = now``); False for an unknown reference."""

    @abstractmethod
    def _write_payment_status(self, reference: str, status: str, note: str, now: float) -> bool:
        """Set status and note (``updated_at = now``; a final status leaves the schedule);
        False for an unknown reference."""

    @abstractmethod
    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        """Lease to ``owner`` until ``until`` at most ``limit`` (> 0) pending payments due
        at ``now``, unleased, created at or before ``created_before``, soonest due first;
        return them as leased."""

    @abstractmethod
    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
        """If ``claim.owner`` still holds the lease: status, next poll, ``poll_attempts + 1``,
        note, lease dropped; return whether it did."""


class RegistryFlowByChanges(RegistryFlow):
    """For a backend whose token and status writes are one conditional update of named
    fields (memory): it supplies :meth:`_update_payment` for both."""

    @abstractmethod
    def _update_payment(self, reference: str, **changes: Any) -> bool:
        """Set these fields of the payment; False for an unknown reference."""

    def _write_payment_token(self, reference: str, token: str, now: float) -> bool:
        return self._update_payment(reference, token=token, updated_at=now)

    def _write_payment_status(self, reference: str, status: str, note: str, now: float) -> bool:
        return self._update_payment(reference, status=status, note=note, updated_at=now)
