"""An event's claim in the store: take it, keep it alive, check it, give it back, or run the
handler and mark it done.

:class:`Claims` holds the claim store and the heartbeat; the callback processor holds one
and calls its steps from the callback and polling flows (``_handler``). Every step is a
generator of ``ligdicash._drive``'s effects (a store call is a ``Blocking`` of the store's
method) and performs no I/O, so the blocking and async paths share every line.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Generator
from typing import Any, Callable, Optional

from .._drive import Blocking, Effect, Sleep, is_async_callable
from .._exceptions import LigdicashError
from .._models import Transaction
from .._stores import Claim, IdempotencyStore
from .._stores._types import ReleaseState
from .._wire import mask_phone
from . import _timing
from ._heartbeat import Beat, Heartbeat
from ._timing import ClaimTiming
from ._types import ProcessResult, TransactionHandler

__all__ = ["Claims", "Flow", "LeaseLost", "accepts_event_key"]

logger = logging.getLogger("ligdicash.callbacks")

#: A flow that ends in a :class:`ProcessResult`.
Flow = Generator[Effect, Any, ProcessResult]


class LeaseLost(Exception):
    """The claim was taken over before the transactional "done" mark: rolled back."""


def accepts_event_key(handler: Any) -> bool:
    """True when ``handler`` takes an ``event_key`` keyword (named, or ``**kwargs``)."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "event_key" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in parameters
    )


def _with_key(handler: TransactionHandler) -> Callable[..., Any]:
    return handler  # checked by accepts_event_key: it takes ``event_key``


def _handler_call(handler: TransactionHandler, transaction: Transaction, key: str) -> Blocking[Any]:
    """The handler's call, with ``event_key=key`` when it takes that keyword."""
    if key and accepts_event_key(handler):
        return Blocking(_with_key(handler), transaction, event_key=key)
    return Blocking(handler, transaction)


def _run_atomically(
    store: IdempotencyStore, handler: TransactionHandler, transaction: Transaction, claim: Claim
) -> bool:
    """The (sync) handler and ``store.complete(claim)`` in one transaction of the store's
    database; True, or :class:`LeaseLost` when the claim was no longer ours (the handler's
    writes are then rolled back)."""
    atomic = getattr(store, "atomic", None)
    assert atomic is not None  # Claims.handle comes here only for such stores
    call = _handler_call(handler, transaction, claim.key)
    with atomic():
        value = call.fn(*call.args, **call.kwargs)
        if inspect.isawaitable(value):
            raise TypeError("a transactional handler must be synchronous")
        if not store.complete(claim, note=transaction.status):
            raise LeaseLost(claim.key)  # leaving the block rolls the handler back
    return True


class Claims:
    """The steps on an event's claim in ``store``, kept alive by ``heartbeat``."""

    def __init__(self, store: IdempotencyStore, heartbeat: Heartbeat) -> None:
        self.store = store
        self._heartbeat = heartbeat

    @property
    def renewable(self) -> bool:
        """Whether the store renews leases (then they are short, and the heartbeat renews)."""
        return type(self.store).renew is not IdempotencyStore.renew

    def hold(self, key: str, timing: ClaimTiming, work: Callable[[Claim], Flow]) -> Flow:
        """Claim ``key`` (see :meth:`take`), keep it alive while ``work(claim)`` runs, and
        return its result; or say why the claim was not acquired."""
        claim = yield from self.take(key, timing)
        if claim is None or not claim.acquired:
            return self._not_acquired(key, claim, timing)
        beat = self._keep(claim, timing)
        try:
            return (yield from work(claim))
        finally:
            if beat is not None:
                beat.stop()

    def take(self, key: str, timing: ClaimTiming) -> Generator[Effect, Any, Optional[Claim]]:
        """Claim ``key``; while another copy holds it, wait for it to finish or let go.

        Waiting ``timing.busy_wait`` outlasts the holder's status call with its retries:
        if that call fails, the holder releases the key and this copy claims it.
        """
        deadline = time.monotonic() + timing.busy_wait
        delay = 0.01
        while True:
            try:
                answer: Optional[Claim] = yield Blocking(
                    self.store.claim, key, lease_seconds=timing.lease
                )
            except Exception:
                logger.exception("callback failed: the idempotency store raised [%s]", key)
                return None
            # A store may answer None for "held by someone else", without lease details.
            claim = answer if answer is not None else Claim(key, "busy")
            if claim.state != "busy" or time.monotonic() >= deadline:
                return claim
            yield Sleep(delay)
            delay = min(delay * 2, 0.25)

    def _keep(self, claim: Claim, timing: ClaimTiming) -> Optional[Beat]:
        """Start renewing ``claim`` from the heartbeat (``None`` if the store cannot)."""
        if not self.renewable:
            return None
        store = self.store
        return self._heartbeat.keep(
            lambda: store.renew(claim, lease_seconds=timing.lease), timing.lease
        )

    def _not_acquired(self, key: str, claim: Optional[Claim], timing: ClaimTiming) -> ProcessResult:
        if claim is None:
            return ProcessResult("failed", "store_error", key)
        if claim.state == "done":
            logger.info("callback duplicate: already processed [%s]", key)
            return ProcessResult("duplicate", "done", key)
        # Held for longer than a status call with its retries can take: the holder has
        # confirmed the event and is running the handler, or it died mid-way.
        logger.warning(
            "callback left to the worker holding it: held for over %.0f s, longer than a "
            "status call with its retries, so that worker is running the handler or died; "
            "if it died, the event is claimable again when its lease ends (in %.0f s), by "
            "reconcile() or a later copy [%s]",
            timing.busy_wait,
            max(0.0, claim.lease_until - time.time()),
            key,
        )
        return ProcessResult("in_progress", "busy", key)

    def still_ours(
        self, claim: Claim, claimed_at: float, timing: ClaimTiming
    ) -> Generator[Effect, Any, bool]:
        """Whether the claim is still ours, just before the handler: renewed once more
        (a store that renews), else not older than its lease (one that cannot)."""
        if not self.renewable:
            return time.monotonic() - claimed_at <= timing.lease - _timing.STORE_MARGIN
        try:
            return bool((yield Blocking(self.store.renew, claim, lease_seconds=timing.lease)))
        except Exception:
            logger.exception("could not renew the claim before the handler [%s]", claim.key)
            return False

    def release(self, claim: Claim, state: ReleaseState, note: str) -> Generator[Effect, Any, None]:
        """Give the claim back (a failure is logged: the lease lapses anyway)."""
        try:
            yield Blocking(self.store.release, claim, state=state, note=note)
        except Exception:
            logger.exception("could not release the claim [%s]", claim.key)

    def unconfirmed(self, claim: Claim, exc: BaseException) -> Flow:
        """Give the claim back after a failed status call."""
        reason = exc.code if isinstance(exc, LigdicashError) else type(exc).__name__
        yield from self.release(claim, "unconfirmed", reason)
        logger.warning(
            "callback unconfirmed: the status call failed (%s); the event stays claimable "
            "by a copy still waiting for it, a later copy or reconcile() [%s]",
            reason,
            claim.key,
        )
        return ProcessResult("unconfirmed", reason, claim.key)

    def lease_outlasted(self, claim: Claim, transaction: Transaction, timing: ClaimTiming) -> Flow:
        """Give the claim back when its lease lapsed before the handler."""
        # Another copy may have taken the event over once the lease ended: running the
        # handler now could run it twice. Give it back instead (a no-op if taken over).
        yield from self.release(claim, "unconfirmed", "lease_expired")
        logger.warning(
            "callback unconfirmed: the claim's %.0f s lease lapsed before the handler (the "
            "status call outlasted it, or the heartbeat could not renew it), so the handler "
            "did not run here; the event stays claimable by another copy, the sweeper or "
            "reconcile() [%s]",
            timing.lease,
            claim.key,
        )
        return ProcessResult("unconfirmed", "lease_expired", claim.key, transaction)

    def handle(
        self, claim: Claim, transaction: Transaction, handler: Optional[TransactionHandler]
    ) -> Flow:
        """Run ``handler`` (if any) on the confirmed transaction, then mark the claim done;
        both in one transaction when the store has ``atomic()`` and the handler is sync."""
        if handler is not None and self._transactional(handler):
            return (yield from self._handle_atomically(handler, claim, transaction))
        if handler is not None:
            try:
                yield _handler_call(handler, transaction, claim.key)
            except Exception:
                yield from self.release(claim, "failed", "handler_error")
                logger.exception(
                    "callback failed: the handler raised; released for a retry [%s]", claim.key
                )
                return ProcessResult("failed", "handler_error", claim.key, transaction)
        try:
            yield Blocking(self.store.complete, claim, note=transaction.status)
        except Exception:
            logger.exception(
                "the handler ran but the event could not be marked done [%s]", claim.key
            )
            return ProcessResult("failed", "store_error", claim.key, transaction)
        logger.info(
            "callback processed: %s, amount %s, customer %s [%s]",
            transaction.status,
            transaction.amount,
            mask_phone(transaction.customer),
            claim.key,
        )
        return ProcessResult("processed", transaction.status, claim.key, transaction)

    def _transactional(self, handler: Any) -> bool:
        """The handler and the "done" mark can share one transaction: the store has
        ``atomic()`` (the Django ORM store) and the handler is synchronous."""
        return callable(getattr(self.store, "atomic", None)) and not is_async_callable(handler)

    def _handle_atomically(
        self, handler: TransactionHandler, claim: Claim, transaction: Transaction
    ) -> Flow:
        try:
            yield Blocking(_run_atomically, self.store, handler, transaction, claim)
        except LeaseLost:
            logger.warning(
                "callback unconfirmed: the claim was taken over while the handler ran; its "
                "writes were rolled back with the transaction [%s]",
                claim.key,
            )
            return ProcessResult("unconfirmed", "lease_expired", claim.key, transaction)
        except Exception:
            yield from self.release(claim, "failed", "handler_error")
            logger.exception(
                "callback failed: the handler raised; its transaction was rolled back and the "
                "event released for a retry [%s]",
                claim.key,
            )
            return ProcessResult("failed", "handler_error", claim.key, transaction)
        logger.info(
            "callback processed: %s, amount %s, customer %s, handler and done mark in one "
            "transaction [%s]",
            transaction.status,
            transaction.amount,
            mask_phone(transaction.customer),
            claim.key,
        )
        return ProcessResult("processed", transaction.status, claim.key, transaction)
