"""One reconciliation round, without I/O: the schedule policy, the effects, the summary.

:func:`reconcile_round` is a generator of ``ligdicash._drive``'s effects (``Blocking``
calls: lease the due payments, fetch statuses in bulk, run the final ones through the
callback processor, finish each poll) that ``Reconciler.run_once`` and ``arun_once`` drive
with ``drive`` / ``adrive``; every decision (when to poll again, when a payment expires or
is in doubt) is made here, once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Generator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._bulk import TransactionResult
from ._config import _is_loopback_url
from ._drive import Blocking, Effect
from ._exceptions import InvalidRequestError
from ._polling import PROVIDER_MIN_INTERVAL
from ._registry import IN_DOUBT
from ._stores._types import PaymentClaim, PaymentKind, PaymentRecord

if TYPE_CHECKING:
    from ._stores import Store
    from ._types import ExpectedTransaction, ProcessResult

__all__ = [
    "DEFAULT_EXPIRE_AFTER",
    "DEFAULT_IN_DOUBT_AFTER",
    "DEFAULT_SCHEDULE",
    "EXPIRED",
    "MISMATCH",
    "FetchStatuses",
    "ProcessFinals",
    "ReconcilePolicy",
    "ReconcileSummary",
    "parse_schedule",
    "reconcile_round",
]

#: Seconds between polls of one payment: the first poll one minute after creation, then
#: 5 min, 30 min, 2 h, then every 6 h until it expires.
DEFAULT_SCHEDULE: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0, 21600.0)
#: A payment still pending this long after creation is marked ``expired``.
DEFAULT_EXPIRE_AFTER = 86400.0
#: A payment without a token this long after creation is marked ``in_doubt`` (before, its
#: creation answer may still be on its way).
DEFAULT_IN_DOUBT_AFTER = 600.0
EXPIRED = "expired"
#: The poll disagreed with what was recorded (amount, reference): an operator looks.
MISMATCH = "mismatch"

logger = logging.getLogger("ligdicash.reconcile")

#: ``fetch(tokens, kind)``: the statuses in bulk, in the tokens' order (a blocking or an
#: async client's ``get_transactions``).
FetchStatuses = Callable[
    [Sequence[str], PaymentKind],
    Union[list[TransactionResult], Awaitable[list[TransactionResult]]],
]
#: ``process(expected)``: each through the processor's exactly-once path, in order.
ProcessFinals = Callable[
    [Sequence["ExpectedTransaction"]],
    Union[list["ProcessResult"], Awaitable[list["ProcessResult"]]],
]


def parse_schedule(text: str) -> tuple[float, ...]:
    """``"60,300,1800"`` → ``(60.0, 300.0, 1800.0)`` (the commands' ``--schedule``).

    Raises:
        ValueError: not a comma-separated list of numbers.
    """
    try:
        gaps = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        gaps = ()
    if not gaps:
        raise ValueError(f"{text!r} is not a comma-separated list of seconds, e.g. 60,300,1800")
    return gaps


@dataclass(frozen=True)
class ReconcilePolicy:
    """When to poll a payment, and how many to lease at once (pure data; see Reconciler)."""

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    expire_after: float = DEFAULT_EXPIRE_AFTER
    in_doubt_after: float = DEFAULT_IN_DOUBT_AFTER
    batch_size: int = 100
    lease_seconds: float = 300.0

    def __post_init__(self) -> None:
        if not self.schedule or any(
            isinstance(g, bool) or not isinstance(g, (int, float)) or not g >= 0
            for g in self.schedule
        ):
            raise InvalidRequestError("schedule must be a non-empty sequence of seconds >= 0")
        for name in ("expire_after", "in_doubt_after", "lease_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise InvalidRequestError(f"{name} must be a positive number of seconds")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int):
            raise InvalidRequestError("batch_size must be an int >= 1")
        if self.batch_size < 1:
            raise InvalidRequestError("batch_size must be an int >= 1")

    @property
    def first_poll_after(self) -> float:
        """A payment is not polled before it is this old (the first gap)."""
        return float(self.schedule[0])

    def next_poll_at(self, payment: PaymentRecord, now: float) -> float:
        """After poll number ``payment.poll_attempts + 1``: the next gap, but never past the
        expiry (the last poll happens when the payment expires)."""
        index = min(payment.poll_attempts + 1, len(self.schedule) - 1)
        return min(now + self.schedule[index], payment.created_at + self.expire_after)

    def check_floor(self, base_url: str) -> None:
        """Refuse a gap under the provider's 3 s floor unless the API is on loopback.

        Raises:
            InvalidRequestError: a gap under 3 s against a non-loopback ``base_url``.
        """
        if min(self.schedule) < PROVIDER_MIN_INTERVAL and not _is_loopback_url(base_url):
            raise InvalidRequestError(
                f"every schedule gap must be at least {PROVIDER_MIN_INTERVAL:g} s against "
                "LigdiCash's hosts (shorter gaps only for a loopback base_url)"
            )


@dataclass(frozen=True)
class ReconcileSummary:
    """What one round did. ``claimed`` payments were leased; ``polled`` got a status call;
    ``settled`` reached a final status (and went through the processor, if any);
    ``pending`` are polled again later; ``expired`` gave up after ``expire_after``;
    ``in_doubt`` have no token (their creation answer was lost: see an operator);
    ``errors`` are status calls or processor runs that failed (retried later)."""

    claimed: int = 0
    polled: int = 0
    settled: int = 0
    pending: int = 0
    expired: int = 0
    in_doubt: int = 0
    errors: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts by name (for ``--json`` and metrics)."""
        return asdict(self)

    def __add__(self, other: ReconcileSummary) -> ReconcileSummary:
        mine, theirs = self.to_dict(), other.to_dict()
        return ReconcileSummary(**{k: mine[k] + theirs[k] for k in mine})


def reconcile_round(
    policy: ReconcilePolicy,
    clock: Callable[[], float],
    *,
    store: Store,
    fetch: FetchStatuses,
    process: Optional[ProcessFinals],
) -> Generator[Effect, Any, ReconcileSummary]:
    """One round: lease due payments in ``store``, poll them with ``fetch``, settle the
    final ones (through ``process``, or by recording their status without one), reschedule
    the rest.

    Raises (through the driver):
        StoreUnavailableError: the store failed; leases not finished lapse and the
            payments are polled again (the processor's claim keeps the handler to once).
    """
    from ._types import ExpectedTransaction

    def finish(
        claim: PaymentClaim, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> Generator[Effect, Any, None]:
        done = yield Blocking(
            store.finish_payment_poll, claim, status=status, next_poll_at=next_poll_at, note=note
        )
        if not done:  # our lease lapsed and another poller took it: its result stands
            logger.warning("poll of %r finished after its lease lapsed", claim.reference)

    claims: list[PaymentClaim] = yield Blocking(
        store.claim_due_payments,
        limit=policy.batch_size,
        lease_seconds=policy.lease_seconds,
        older_than=policy.first_poll_after,
    )
    counts = dict.fromkeys(ReconcileSummary().to_dict(), 0)
    counts["claimed"] = len(claims)
    now = clock()
    by_kind: dict[PaymentKind, list[PaymentClaim]] = {}
    for claim in claims:
        payment = claim.payment
        if payment.token:
            by_kind.setdefault(payment.kind, []).append(claim)
        elif now - payment.created_at >= policy.in_doubt_after:
            counts["in_doubt"] += 1
            yield from finish(claim, IN_DOUBT, note="no token: the creation answer was lost")
        else:  # the creation's answer may still be arriving
            counts["pending"] += 1
            yield from finish(claim, "pending", policy.next_poll_at(payment, now), "no token yet")
    for kind, group in by_kind.items():
        results: list[TransactionResult] = yield Blocking(
            fetch, tuple(c.payment.token or "" for c in group), kind
        )
        now = clock()
        finals: list[tuple[PaymentClaim, str]] = []
        for claim, result in zip(group, results):
            payment = claim.payment
            counts["polled"] += 1
            if result.transaction is None:
                counts["errors"] += 1
                note = result.error.code if result.error is not None else "no_result"
                if now - payment.created_at >= policy.expire_after:
                    # e.g. a token LigdiCash never knew: polling it for ever helps nobody
                    counts["expired"] += 1
                    yield from finish(claim, EXPIRED, note=f"status call failed: {note}")
                else:
                    yield from finish(claim, "pending", policy.next_poll_at(payment, now), note)
            elif result.transaction.is_final:
                finals.append((claim, result.transaction.status))
            elif now - payment.created_at >= policy.expire_after:
                counts["expired"] += 1
                yield from finish(claim, EXPIRED, note=f"still {result.transaction.status}")
            else:
                counts["pending"] += 1
                yield from finish(claim, "pending", policy.next_poll_at(payment, now))
        if not finals:
            continue
        if process is None:
            for claim, status in finals:
                counts["settled"] += 1
                yield from finish(claim, status)
            continue
        outcomes: list[ProcessResult] = yield Blocking(
            process,
            tuple(
                ExpectedTransaction(
                    token=c.payment.token or "",
                    amount=c.payment.amount,
                    transaction_id=c.payment.reference,
                    type=c.payment.kind,
                )
                for c, _ in finals
            ),
        )
        now = clock()
        for (claim, status), outcome in zip(finals, outcomes):
            if outcome.ok:  # processed now, or already (by a callback or another poll)
                counts["settled"] += 1
                yield from finish(claim, status, note=outcome.outcome)
            elif outcome.outcome == "refused":
                counts["errors"] += 1
                yield from finish(claim, MISMATCH, note=outcome.reason)
            else:  # unconfirmed, failed, in progress elsewhere: try again at the first gap
                counts["errors"] += 1
                again = now + policy.first_poll_after
                yield from finish(claim, "pending", again, f"{outcome.outcome}:{outcome.reason}")
    return ReconcileSummary(**counts)
