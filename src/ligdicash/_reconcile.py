"""``ligdicash.Reconciler``: poll the recorded payments still pending and settle them once.

A client given ``store=`` records every payment it creates (``_registry``). The reconciler
leases the payments due for a poll (one poller each, across processes and hosts), fetches
their statuses in bulk with bounded concurrency, and hands each final one to
:meth:`CallbackProcessor.reconcile <ligdicash.contrib.CallbackProcessor.reconcile>`, the
same exactly-once claim a callback goes through: a callback and a poll never both run the
handler. Payments still pending are polled again on a per-payment schedule, then marked
``expired``; a payment whose creation answer was lost (no token) is marked ``in_doubt``.

One round is a sans-IO generator (:func:`reconcile_round`) of effects; ``run_once`` and
``arun_once`` only perform them (blocking, or awaited), through ``ligdicash._drive``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import httpx

from ._async_client import AsyncClient
from ._bulk import DEFAULT_CONCURRENCY, TransactionResult
from ._client import Client
from ._config import _is_loopback
from ._drive import adrive, drive
from ._exceptions import ConfigurationError, InvalidRequestError, LigdicashError
from ._polling import PROVIDER_MIN_INTERVAL
from ._registry import IN_DOUBT, StoreLike, open_registry
from ._stores._types import PaymentClaim, PaymentKind, PaymentRecord

if TYPE_CHECKING:
    from ._stores import Store
    from .contrib import CallbackProcessor
    from .contrib._types import ExpectedTransaction, ProcessResult

__all__ = [
    "DEFAULT_EXPIRE_AFTER",
    "DEFAULT_SCHEDULE",
    "ReconcilePolicy",
    "ReconcileSummary",
    "Reconciler",
    "reconcile_round",
]

logger = logging.getLogger("ligdicash.reconcile")

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
        if min(self.schedule) < PROVIDER_MIN_INTERVAL and not _is_loopback(
            httpx.URL(base_url).host
        ):
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


# -- the effects one round yields --------------------------------------------------------


@dataclass(frozen=True)
class ClaimDue:
    """Lease the payments due for a poll → ``list[PaymentClaim]``."""

    limit: int
    lease_seconds: float
    older_than: float


@dataclass(frozen=True)
class FetchStatuses:
    """Fetch these tokens' statuses in bulk → ``list[TransactionResult]`` (same order)."""

    tokens: tuple[str, ...] = field(repr=False)
    kind: PaymentKind


@dataclass(frozen=True)
class ProcessFinals:
    """Run each through the processor's exactly-once path → ``list[ProcessResult]``."""

    expected: tuple[ExpectedTransaction, ...]


@dataclass(frozen=True)
class FinishPoll:
    """Record one poll's result and drop the lease → ``bool``."""

    claim: PaymentClaim
    status: str
    next_poll_at: float = 0.0
    note: str = ""


Effect = Union[ClaimDue, FetchStatuses, ProcessFinals, FinishPoll]


def reconcile_round(
    policy: ReconcilePolicy, clock: Callable[[], float], *, with_processor: bool
) -> Generator[Effect, Any, ReconcileSummary]:
    """One round: lease due payments, poll them, settle the final ones, reschedule the rest.

    Raises (through the driver):
        StoreUnavailableError: the store failed; leases not finished lapse and the
            payments are polled again (the processor's claim keeps the handler to once).
    """
    from .contrib._types import ExpectedTransaction

    claims: list[PaymentClaim] = yield ClaimDue(
        policy.batch_size, policy.lease_seconds, policy.first_poll_after
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
            yield FinishPoll(claim, IN_DOUBT, note="no token: the creation answer was lost")
        else:  # the creation's answer may still be arriving
            counts["pending"] += 1
            yield FinishPoll(claim, "pending", policy.next_poll_at(payment, now), "no token yet")
    for kind, group in by_kind.items():
        results: list[TransactionResult] = yield FetchStatuses(
            tuple(c.payment.token or "" for c in group), kind
        )
        now = clock()
        finals: list[tuple[PaymentClaim, str]] = []
        for claim, result in zip(group, results):
            payment = claim.payment
            counts["polled"] += 1
            if result.transaction is None:
                counts["errors"] += 1
                note = result.error.code if result.error is not None else "no_result"
                yield FinishPoll(claim, "pending", policy.next_poll_at(payment, now), note)
            elif result.transaction.is_final:
                finals.append((claim, result.transaction.status))
            elif now - payment.created_at >= policy.expire_after:
                counts["expired"] += 1
                yield FinishPoll(claim, EXPIRED, note=f"still {result.transaction.status}")
            else:
                counts["pending"] += 1
                yield FinishPoll(claim, "pending", policy.next_poll_at(payment, now))
        if not finals:
            continue
        if not with_processor:
            for claim, status in finals:
                counts["settled"] += 1
                yield FinishPoll(claim, status)
            continue
        outcomes: list[ProcessResult] = yield ProcessFinals(
            tuple(
                ExpectedTransaction(
                    token=c.payment.token or "",
                    amount=c.payment.amount,
                    transaction_id=c.payment.reference,
                    type=c.payment.kind,
                )
                for c, _ in finals
            )
        )
        now = clock()
        for (claim, status), outcome in zip(finals, outcomes):
            if outcome.ok:  # processed now, or already (by a callback or another poll)
                counts["settled"] += 1
                yield FinishPoll(claim, status, note=outcome.outcome)
            elif outcome.outcome == "refused":
                counts["errors"] += 1
                yield FinishPoll(claim, MISMATCH, note=outcome.reason)
            else:  # unconfirmed, failed, in progress elsewhere: try again at the first gap
                counts["errors"] += 1
                again = now + policy.first_poll_after
                yield FinishPoll(claim, "pending", again, f"{outcome.outcome}:{outcome.reason}")
    return ReconcileSummary(**counts)


class Reconciler:
    """Polls the payments a client recorded in ``store`` until each is settled, once.

    Args:
        store: the :class:`Store` the clients record into (or its URL; then this
            reconciler opens it and :meth:`close` closes it).
        client: the ``Client`` (for :meth:`run_once`) or ``AsyncClient`` (for
            :meth:`arun_once`) whose account created the payments.
        processor: a :class:`~ligdicash.contrib.CallbackProcessor` sharing ``store`` as
            its claim store: each final status goes through its ``reconcile`` (or
            ``areconcile``), so your handler runs once per payment, whether the callback
            or the poll comes first. Without one, the reconciler only records statuses.
        schedule: seconds between polls of one payment (first gap = minimum age);
            at least 3 s each against LigdiCash's hosts, anything on a loopback sandbox.
        expire_after: a payment still pending this long after creation becomes ``expired``.
        in_doubt_after: a payment with no token (its creation answer was lost) this long
            after creation becomes ``in_doubt``, for an operator.
        batch_size: payments leased per round; concurrency: status calls (and processor
            runs) at a time; lease_seconds: how long a round holds its payments.
        clock: seconds since the epoch, the stores' clock (tests pass their own).

    Raises:
        InvalidRequestError: a bad schedule or number (nothing polled).
        ConfigurationError: ``store`` is neither a ``Store`` nor a URL.

    Example::

        store = ligdicash.open_store("postgresql://shop@db/shop")
        client = ligdicash.Client(api_key=..., auth_token=..., store=store)
        processor = CallbackProcessor(lookup=ligdicash.registry_lookup(store),
                                      handler=deliver, client=client, store=store)
        reconciler = ligdicash.Reconciler(store, client=client, processor=processor)
        reconciler.run_forever(interval=30)
    """

    def __init__(
        self,
        store: StoreLike,
        *,
        client: Union[Client, AsyncClient],
        processor: Optional[CallbackProcessor] = None,
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        in_doubt_after: float = DEFAULT_IN_DOUBT_AFTER,
        batch_size: int = 100,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = ReconcilePolicy(
            tuple(schedule), expire_after, in_doubt_after, batch_size, lease_seconds
        )
        self.policy.check_floor(client.base_url)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidRequestError("concurrency must be an int >= 1")
        registry, self._owns_store = open_registry(store)
        assert registry is not None
        self.store: Store = registry
        self.client = client
        self.processor = processor
        self.concurrency = concurrency
        self._clock = clock

    def __repr__(self) -> str:
        return f"<ligdicash.Reconciler store={self.store!r} schedule={self.policy.schedule}>"

    def close(self) -> None:
        """Close the store if this reconciler opened it from a URL. Safe to call twice."""
        if self._owns_store:
            self.store.close()

    def counts(self) -> dict[str, int]:
        """How many recorded payments have each status (``in_doubt`` ones need a person).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        return self.store.payment_counts()

    def _round(self) -> Generator[Effect, Any, ReconcileSummary]:
        return reconcile_round(self.policy, self._clock, with_processor=self.processor is not None)

    # -- blocking ----------------------------------------------------------------------

    def run_once(self) -> ReconcileSummary:
        """Poll the payments due now (one batch) and settle the final ones.

        Raises:
            ConfigurationError: the client is an ``AsyncClient`` (use :meth:`arun_once`).
            StoreUnavailableError: the store cannot be reached.
        """
        if not isinstance(self.client, Client):
            raise ConfigurationError("run_once needs a Client; use arun_once with AsyncClient")
        summary = drive(self._round(), self._perform)
        logger.info("reconcile round: %s", summary.to_dict())
        return summary

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, ClaimDue):
            return self.store.claim_due_payments(
                limit=effect.limit,
                lease_seconds=effect.lease_seconds,
                older_than=effect.older_than,
            )
        if isinstance(effect, FinishPoll):
            return self._finish(effect)
        if isinstance(effect, FetchStatuses):
            assert isinstance(self.client, Client)  # checked in run_once
            return self.client.get_transactions(
                effect.tokens, effect.kind, concurrency=self.concurrency
            )
        processor = self.processor
        assert processor is not None  # ProcessFinals is only yielded with a processor
        with ThreadPoolExecutor(min(self.concurrency, len(effect.expected))) as pool:
            return list(pool.map(processor.reconcile, effect.expected))

    def _finish(self, effect: FinishPoll) -> bool:
        done = self.store.finish_payment_poll(
            effect.claim, status=effect.status, next_poll_at=effect.next_poll_at, note=effect.note
        )
        if not done:  # our lease lapsed and another poller took it: its result stands
            logger.warning("poll of %r finished after its lease lapsed", effect.claim.reference)
        return done

    def run_forever(
        self, interval: float = 30.0, stop_event: Optional[threading.Event] = None
    ) -> None:
        """Run rounds until ``stop_event`` is set: a full batch is followed at once by the
        next, otherwise the loop waits ``interval`` seconds. A failing round (store or
        network down) is logged and retried after ``interval``; it never ends the loop."""
        stop = stop_event if stop_event is not None else threading.Event()
        while not stop.is_set():
            try:
                summary = self.run_once()
            except LigdicashError as exc:
                logger.error("reconcile round failed: %s", exc.message)
                summary = ReconcileSummary()
            if summary.claimed < self.policy.batch_size:
                stop.wait(interval)

    # -- async -------------------------------------------------------------------------

    async def arun_once(self) -> ReconcileSummary:
        """:meth:`run_once` with an ``AsyncClient`` (the store calls run in threads).

        Raises:
            ConfigurationError: the client is a ``Client`` (use :meth:`run_once`).
            StoreUnavailableError: the store cannot be reached.
        """
        if not isinstance(self.client, AsyncClient):
            raise ConfigurationError("arun_once needs an AsyncClient; use run_once with Client")
        summary = await adrive(self._round(), self._aperform)
        logger.info("reconcile round: %s", summary.to_dict())
        return summary

    async def _aperform(self, effect: Effect) -> Any:
        import anyio.to_thread

        if isinstance(effect, (ClaimDue, FinishPoll)):
            return await anyio.to_thread.run_sync(self._perform, effect)
        if isinstance(effect, FetchStatuses):
            assert isinstance(self.client, AsyncClient)  # checked in arun_once
            return await self.client.get_transactions(
                effect.tokens, effect.kind, concurrency=self.concurrency
            )
        processor = self.processor
        assert processor is not None
        gate = asyncio.Semaphore(self.concurrency)

        async def one(expected: ExpectedTransaction) -> ProcessResult:
            async with gate:
                return await processor.areconcile(expected)

        return list(await asyncio.gather(*(one(e) for e in effect.expected)))

    async def arun_forever(
        self, interval: float = 30.0, stop_event: Optional[asyncio.Event] = None
    ) -> None:
        """:meth:`run_forever` for async apps; cancel the task or set ``stop_event``."""
        stop = stop_event if stop_event is not None else asyncio.Event()
        while not stop.is_set():
            try:
                summary = await self.arun_once()
            except LigdicashError as exc:
                logger.error("reconcile round failed: %s", exc.message)
                summary = ReconcileSummary()
            if summary.claimed < self.policy.batch_size:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
