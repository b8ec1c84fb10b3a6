"""``memory://``: the whole store in dicts under one lock, for tests and one-process apps."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable, Optional

from ._base import (
    INBOX_STATES,
    Store,
    check_body,
    check_key,
    check_lease,
    check_text,
    inbox_digest,
    new_owner,
)
from ._registry_flow import RegistryFlowByChanges
from ._types import (
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    PaymentClaim,
    PaymentRecord,
    ReleaseState,
)

__all__ = ["MemoryStore"]


class MemoryStore(RegistryFlowByChanges, Store):
    """An in-process store: nothing survives the process, nothing is shared with another.

    Args:
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, IdempotencyRecord] = {}
        self._inbox: dict[str, InboxEntry] = {}
        self._payments: dict[str, PaymentRecord] = {}

    # -- claims -----------------------------------------------------------------------

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        check_key(key)
        lease = check_lease(lease_seconds)
        with self._lock:
            now = self._clock()
            record = self._records.get(key)
            if record is not None:
                if record.state == "done":
                    return Claim(key, "done")
                if record.state == "processing" and record.lease_until > now:
                    return Claim(key, "busy", lease_until=record.lease_until)
            owner, until = new_owner(), now + lease
            attempts = (record.attempts if record else 0) + 1
            note = record.note if record else ""
            self._records[key] = IdempotencyRecord(
                key, "processing", owner, until, attempts, note, now
            )
            return Claim(key, "claimed", owner, until)

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        with self._lock:
            now = self._clock()
            record = self._records.get(claim.key)
            if not _live(record, claim.owner, now):
                return False
            assert record is not None
            self._records[claim.key] = dataclasses.replace(
                record, lease_until=now + lease, updated_at=now
            )
            return True

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        check_text(note, "note")
        with self._lock:
            record = self._records.get(claim.key)
            owned = record is not None and record.owner == claim.owner
            attempts = record.attempts if record else 1
            self._records[claim.key] = IdempotencyRecord(
                claim.key, "done", claim.owner, 0.0, attempts, note, self._clock()
            )
            return owned

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        check_text(note, "note")
        with self._lock:
            record = self._records.get(claim.key)
            if record is None or record.owner != claim.owner or record.state != "processing":
                return False
            self._records[claim.key] = IdempotencyRecord(
                claim.key, state, claim.owner, 0.0, record.attempts, note, self._clock()
            )
            return True

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        with self._lock:
            return self._records.get(key)

    # -- inbox ------------------------------------------------------------------------

    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        body = check_body(body)
        check_text(content_type, "content_type", limit=255)
        digest = inbox_digest(body, content_type)
        with self._lock:
            now = self._clock()
            entry = self._inbox.get(digest)
            if entry is None:
                at = now if received_at is None else received_at
                entry = InboxEntry(
                    digest, body, content_type, at, "pending", "", 0.0, 0, 1, "", now
                )
            else:
                entry = dataclasses.replace(entry, deliveries=entry.deliveries + 1)
            self._inbox[digest] = entry
            return entry

    def _lease_entry(self, entry: InboxEntry, lease: float, now: float) -> Optional[InboxClaim]:
        if entry.state == "done" or (entry.state == "processing" and entry.lease_until > now):
            return None
        owner = new_owner()
        leased = dataclasses.replace(
            entry,
            state="processing",
            owner=owner,
            lease_until=now + lease,
            attempts=entry.attempts + 1,
            updated_at=now,
        )
        self._inbox[entry.digest] = leased
        return InboxClaim(leased, owner, leased.lease_until)

    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        check_key(digest, "digest")
        lease = check_lease(lease_seconds)
        with self._lock:
            entry = self._inbox.get(digest)
            return None if entry is None else self._lease_entry(entry, lease, self._clock())

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)
        with self._lock:
            now = self._clock()
            for entry in sorted(self._inbox.values(), key=lambda e: (e.received_at, e.digest)):
                claim = self._lease_entry(entry, lease, now)
                if claim is not None:
                    return claim
            return None

    def _owned_entry(self, claim: InboxClaim) -> Optional[InboxEntry]:
        entry = self._inbox.get(claim.digest)
        if entry is None or entry.owner != claim.owner or entry.state != "processing":
            return None
        return entry

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        with self._lock:
            now = self._clock()
            entry = self._owned_entry(claim)
            if entry is None or entry.lease_until <= now:
                return False
            self._inbox[entry.digest] = dataclasses.replace(
                entry, lease_until=now + lease, updated_at=now
            )
            return True

    def _settle_entry(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        with self._lock:
            entry = self._owned_entry(claim)
            if entry is None:
                return False
            self._inbox[entry.digest] = dataclasses.replace(
                entry, state=state, lease_until=0.0, outcome=outcome, updated_at=self._clock()
            )
            return True

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle_entry(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle_entry(claim, "pending", outcome)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        with self._lock:
            entry = self._owned_entry(claim)
            if entry is None:
                return False
            del self._inbox[entry.digest]
            return True

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        with self._lock:
            cutoff = self._clock() - float(older_than)
            old = [
                e.digest
                for e in self._inbox.values()
                if e.state == "done" and e.updated_at <= cutoff
            ][: max(0, int(limit))]
            for digest in old:
                del self._inbox[digest]
            return len(old)

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        with self._lock:
            return self._inbox.get(digest)

    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        with self._lock:
            entries = sorted(self._inbox.values(), key=lambda e: (e.received_at, e.digest))
        return [e for e in entries if state is None or e.state == state][:limit]

    def inbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INBOX_STATES, 0)
        with self._lock:
            for entry in self._inbox.values():
                counts[entry.state] += 1
        return counts

    # -- payment registry -------------------------------------------------------------

    def _insert_payment(self, new: PaymentRecord) -> PaymentRecord:
        with self._lock:
            return self._payments.setdefault(new.reference, new)

    def _update_payment(self, reference: str, **changes: object) -> bool:
        with self._lock:
            record = self._payments.get(reference)
            if record is None:
                return False
            self._payments[reference] = dataclasses.replace(record, **changes)  # type: ignore[arg-type]
            return True

    def _lease_due_payments(
        self, *, now: float, created_before: float, limit: int, owner: str, until: float
    ) -> list[PaymentRecord]:
        with self._lock:
            due = sorted(
                (
                    p
                    for p in self._payments.values()
                    if p.status == "pending"
                    and p.next_poll_at <= now
                    and p.lease_until <= now
                    and p.created_at <= created_before
                ),
                key=lambda p: (p.next_poll_at, p.reference),
            )[:limit]
            leased = [dataclasses.replace(p, owner=owner, lease_until=until) for p in due]
            self._payments.update((p.reference, p) for p in leased)
            return leased

    def _write_poll_result(
        self, claim: PaymentClaim, status: str, next_poll_at: float, note: str, now: float
    ) -> bool:
        with self._lock:
            record = self._payments.get(claim.reference)
            if record is None or record.owner != claim.owner or record.lease_until == 0.0:
                return False
            self._payments[claim.reference] = dataclasses.replace(
                record,
                status=status,
                next_poll_at=next_poll_at,
                poll_attempts=record.poll_attempts + 1,
                lease_until=0.0,
                note=note,
                updated_at=now,
            )
            return True

    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        with self._lock:
            return self._payments.get(reference)

    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        with self._lock:
            records = sorted(self._payments.values(), key=lambda p: (p.created_at, p.reference))
        return [p for p in records if status is None or p.status == status][:limit]

    def payment_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for record in self._payments.values():
                counts[record.status] = counts.get(record.status, 0) + 1
        return counts

    def __repr__(self) -> str:
        return "MemoryStore()"


def _live(record: Optional[IdempotencyRecord], owner: str, now: float) -> bool:
    return (
        record is not None
        and record.state == "processing"
        and record.owner == owner
        and record.lease_until > now
    )
