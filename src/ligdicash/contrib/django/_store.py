"""``django://<alias>``: the store on the Django ORM, in the project's own ``DATABASES``.

Each claim or lease is one conditional write, atomic on every database Django supports:
an ``INSERT`` (a duplicate key raises ``IntegrityError`` inside its own savepoint) or an
``UPDATE ... WHERE <still claimable>`` whose row count says who won. On databases with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL, MySQL 8, Oracle) the rows to lease are
picked under that lock so concurrent workers take different ones; on SQLite they are
picked without a lock and the conditional ``UPDATE`` settles the race (SQLite serialises
writers).
"""

from __future__ import annotations

from typing import Any, Optional

from django.db.models import Count, F, Q  # type: ignore[import-untyped,unused-ignore]

from ..._stores._base import (
    INBOX_STATES,
    check_body,
    check_key,
    check_lease,
    check_text,
    inbox_digest,
    new_owner,
)
from ..._stores._types import (
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    ReleaseState,
)
from ._store_base import _claimable
from ._store_registry import DjangoRegistry
from .models import IdempotencyKey, InboxMessage

__all__ = ["DjangoStore"]


def _entry(row: Any) -> InboxEntry:
    return InboxEntry(
        row.digest,
        bytes(row.body),
        row.content_type,
        row.received_at,
        row.state,
        row.owner,
        row.lease_until,
        row.attempts,
        row.deliveries,
        row.outcome,
        row.updated_at,
    )


class DjangoStore(DjangoRegistry):
    """Claims, inbox and payment registry in the Django project's database.

    Needs ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` and ``migrate``. When the
    alias is PostgreSQL, every host of the project shares it. The payment registry is in
    :class:`DjangoRegistry`, the connection handling in :class:`DjangoBase`.

    Args:
        alias: the ``DATABASES`` entry to use (default ``"default"``).
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    # -- claims -----------------------------------------------------------------------

    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        check_key(key)
        lease = check_lease(lease_seconds)
        return self._call(lambda: self._claim(key, lease))  # type: ignore[no-any-return]

    def _claim(self, key: str, lease: float) -> Claim:
        for _ in range(5):
            now = self._clock()
            owner, until = new_owner(), now + lease
            if self._insert(
                IdempotencyKey,
                key=key,
                state="processing",
                owner=owner,
                lease_until=until,
                attempts=1,
                note="",
                updated_at=now,
            ):
                return Claim(key, "claimed", owner, until)
            taken = (
                self._q(IdempotencyKey)
                .filter(
                    Q(state__in=("unconfirmed", "failed"))
                    | Q(state="processing", lease_until__lte=now),
                    key=key,
                )
                .update(
                    state="processing",
                    owner=owner,
                    lease_until=until,
                    attempts=F("attempts") + 1,
                    updated_at=now,
                )
            )
            if taken:
                return Claim(key, "claimed", owner, until)
            row = (
                self._q(IdempotencyKey).filter(key=key).values_list("state", "lease_until").first()
            )
            if row is not None and row[0] == "done":
                return Claim(key, "done")
            if row is not None and row[0] == "processing" and row[1] > now:
                return Claim(key, "busy", lease_until=row[1])
        return Claim(key, "busy")

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        return bool(
            self._call(
                lambda: (
                    self._q(IdempotencyKey)
                    .filter(
                        key=claim.key, owner=claim.owner, state="processing", lease_until__gt=now
                    )
                    .update(lease_until=now + lease, updated_at=now)
                )
            )
        )

    def complete(self, claim: Claim, *, note: str = "") -> bool:
        check_text(note, "note")

        def complete() -> bool:
            now = self._clock()
            row = self._q(IdempotencyKey).filter(key=claim.key).values_list("owner").first()
            changes = {"state": "done", "lease_until": 0.0, "note": note, "updated_at": now}
            if row is None and self._insert(
                IdempotencyKey, key=claim.key, owner=claim.owner, attempts=1, **changes
            ):
                return False
            self._q(IdempotencyKey).filter(key=claim.key).update(**changes)
            return row is not None and row[0] == claim.owner

        return bool(self._call(complete))

    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        check_text(note, "note")
        if state not in ("unconfirmed", "failed"):
            raise ValueError("state must be 'unconfirmed' or 'failed'")
        return bool(
            self._call(
                lambda: (
                    self._q(IdempotencyKey)
                    .filter(key=claim.key, owner=claim.owner, state="processing")
                    .update(state=state, lease_until=0.0, note=note, updated_at=self._clock())
                )
            )
        )

    def get(self, key: str) -> Optional[IdempotencyRecord]:
        row = self._call(lambda: self._q(IdempotencyKey).filter(key=key).first())
        if row is None:
            return None
        return IdempotencyRecord(
            row.key, row.state, row.owner, row.lease_until, row.attempts, row.note, row.updated_at
        )

    # -- inbox ------------------------------------------------------------------------

    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        body = check_body(body)
        check_text(content_type, "content_type", limit=255)
        digest = inbox_digest(body, content_type)

        def put() -> InboxEntry:
            now = self._clock()
            if not self._insert(
                InboxMessage,
                digest=digest,
                body=body,
                content_type=content_type,
                received_at=now if received_at is None else received_at,
                state="pending",
                owner="",
                lease_until=0.0,
                attempts=0,
                deliveries=1,
                outcome="",
                updated_at=now,
            ):
                self._q(InboxMessage).filter(digest=digest).update(deliveries=F("deliveries") + 1)
            return _entry(self._q(InboxMessage).get(digest=digest))

        return self._call(put)  # type: ignore[no-any-return]

    def _lease_inbox(self, candidates: Any, lease: float, now: float) -> Optional[InboxClaim]:
        owner, until = new_owner(), now + lease
        leased = self._lease_rows(
            InboxMessage,
            candidates,
            1,
            _claimable(now),
            state="processing",
            owner=owner,
            lease_until=until,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        if not leased:
            return None
        row = self._q(InboxMessage).get(owner=owner, state="processing")
        return InboxClaim(_entry(row), owner, until)

    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        check_key(digest, "digest")
        lease = check_lease(lease_seconds)
        now = self._clock()
        return self._call(  # type: ignore[no-any-return]
            lambda: self._lease_inbox(
                self._q(InboxMessage).filter(_claimable(now), digest=digest), lease, now
            )
        )

    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        lease = check_lease(lease_seconds)

        def claim_next() -> Optional[InboxClaim]:
            for _ in range(5):  # a row picked without a lock may be taken meanwhile
                now = self._clock()
                candidates = (
                    self._q(InboxMessage).filter(_claimable(now)).order_by("received_at", "digest")
                )
                claim = self._lease_inbox(candidates, lease, now)
                if claim is not None or not candidates.exists():
                    return claim
            return None

        return self._call(claim_next)  # type: ignore[no-any-return]

    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        lease = check_lease(lease_seconds)
        now = self._clock()
        return bool(
            self._call(
                lambda: (
                    self._q(InboxMessage)
                    .filter(
                        digest=claim.digest,
                        owner=claim.owner,
                        state="processing",
                        lease_until__gt=now,
                    )
                    .update(lease_until=now + lease, updated_at=now)
                )
            )
        )

    def _settle(self, claim: InboxClaim, state: InboxState, outcome: str) -> bool:
        check_text(outcome, "outcome")
        return bool(
            self._call(
                lambda: (
                    self._q(InboxMessage)
                    .filter(digest=claim.digest, owner=claim.owner, state="processing")
                    .update(state=state, lease_until=0.0, outcome=outcome, updated_at=self._clock())
                )
            )
        )

    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        return self._settle(claim, "done", outcome)

    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        return self._settle(claim, "pending", outcome)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        deleted = self._call(
            lambda: (
                self._q(InboxMessage)
                .filter(digest=claim.digest, owner=claim.owner, state="processing")
                .delete()
            )
        )
        return bool(deleted[0])

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        cutoff = self._clock() - float(older_than)

        def purge() -> int:
            old = list(
                self._q(InboxMessage)
                .filter(state="done", updated_at__lte=cutoff)
                .values_list("digest", flat=True)[: max(0, int(limit))]
            )
            if not old:
                return 0
            return int(self._q(InboxMessage).filter(digest__in=old, state="done").delete()[0])

        return self._call(purge)  # type: ignore[no-any-return]

    def inbox_backlog(self) -> int:
        return self._call(  # type: ignore[no-any-return]
            lambda: self._q(InboxMessage).filter(state__in=("pending", "processing")).count()
        )

    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        row = self._call(lambda: self._q(InboxMessage).filter(digest=digest).first())
        return None if row is None else _entry(row)

    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        query = self._q(InboxMessage).order_by("received_at", "digest")
        if state is not None:
            query = query.filter(state=state)
        return self._call(lambda: [_entry(row) for row in query[:limit]])  # type: ignore[no-any-return]

    def inbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INBOX_STATES, 0)
        rows = self._call(
            lambda: list(self._q(InboxMessage).values_list("state").annotate(n=Count("pk")))
        )
        counts.update({state: int(n) for state, n in rows})
        return counts
