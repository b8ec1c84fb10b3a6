"""The claim steps of a callback flow: claim, keep alive, release, run the handler, mark done.

:class:`ClaimSteps` is the base of :class:`~ligdicash.contrib.CallbackProcessor`: the
generator steps that act on the event's claim in the store (every one yields effects,
performs no I/O), shared by the callback, inbox and polling flows of ``_handler``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from typing import Any, Optional

from .._exceptions import LigdicashError
from .._models import Transaction
from .._stores import Claim, IdempotencyStore
from .._stores._types import ReleaseState
from .._wire import mask_phone
from . import _timing
from ._effects import (
    ClaimKey,
    CompleteKey,
    Effect,
    LeaseLost,
    ReleaseKey,
    RenewKey,
    RunHandler,
    Wait,
    _is_async_callable,
)
from ._heartbeat import Beat, Heartbeat
from ._timing import ClaimTiming
from ._types import ProcessResult, TransactionHandler

__all__ = ["ClaimSteps", "Flow"]

logger = logging.getLogger("ligdicash.callbacks")

Flow = Generator[Effect, Any, ProcessResult]


class ClaimSteps:
    """The steps on an event's claim; the processor provides the collaborators."""

    store: IdempotencyStore
    handler: TransactionHandler
    on_cancelled: Optional[TransactionHandler]
    _heartbeat: Heartbeat

    def _renewable(self) -> bool:
        return type(self.store).renew is not IdempotencyStore.renew

    def _keep(self, claim: Claim, timing: ClaimTiming) -> Optional[Beat]:
        """Start renewing ``claim`` from the heartbeat (``None`` if the store cannot)."""
        if not self._renewable():
            return None
        store = self.store
        return self._heartbeat.keep(
            lambda: store.renew(claim, lease_seconds=timing.lease), timing.lease
        )

    def _still_ours(
        self, claim: Claim, claimed_at: float, timing: ClaimTiming
    ) -> Generator[Effect, Any, bool]:
        """Whether the claim is still ours, just before the handler: renewed once more
        (a store that renews), else not older than its lease (one that cannot)."""
        if not self._renewable():
            return time.monotonic() - claimed_at <= timing.lease - _timing.STORE_MARGIN
        try:
            return bool((yield RenewKey(self.store, claim, timing.lease)))
        except Exception:
            logger.exception("could not renew the claim before the handler [%s]", claim.key)
            return False

    def _claim(self, key: str, timing: ClaimTiming) -> Generator[Effect, Any, Optional[Claim]]:
        """Claim ``key``; while another copy holds it, wait for it to finish or let go.

        Waiting ``timing.busy_wait`` outlasts the holder's status call with its retries:
        if that call fails, the holder releases the key and this copy claims it.
        """
        deadline = time.monotonic() + timing.busy_wait
        delay = 0.01
        while True:
            try:
                answer: Optional[Claim] = yield ClaimKey(self.store, key, timing.lease)
            except Exception:
                logger.exception("callback failed: the idempotency store raised [%s]", key)
                return None
            # A store may answer None for "held by someone else", without lease details.
            claim = answer if answer is not None else Claim(key, "busy")
            if claim.state != "busy" or time.monotonic() >= deadline:
                return claim
            yield Wait(delay)
            delay = min(delay * 2, 0.25)

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

    def _release(
        self, claim: Claim, state: ReleaseState, note: str
    ) -> Generator[Effect, Any, None]:
        try:
            yield ReleaseKey(self.store, claim, state, note)
        except Exception:
            logger.exception("could not release the claim [%s]", claim.key)

    def _unconfirmed(self, claim: Claim, exc: BaseException) -> Flow:
        reason = exc.code if isinstance(exc, LigdicashError) else type(exc).__name__
        yield from self._release(claim, "unconfirmed", reason)
        logger.warning(
            "callback unconfirmed: the status call failed (%s); the event stays claimable "
            "by a copy still waiting for it, a later copy or reconcile() [%s]",
            reason,
            claim.key,
        )
        return ProcessResult("unconfirmed", reason, claim.key)

    def _lease_outlasted(self, claim: Claim, transaction: Transaction, timing: ClaimTiming) -> Flow:
        # Another copy may have taken the event over once the lease ended: running the
        # handler now could run it twice. Give it back instead (a no-op if taken over).
        yield from self._release(claim, "unconfirmed", "lease_expired")
        logger.warning(
            "callback unconfirmed: the claim's %.0f s lease lapsed before the handler (the "
            "status call outlasted it, or the heartbeat could not renew it), so the handler "
            "did not run here; the event stays claimable by another copy, the sweeper or "
            "reconcile() [%s]",
            timing.lease,
            claim.key,
        )
        return ProcessResult("unconfirmed", "lease_expired", claim.key, transaction)

    def _handle(self, claim: Claim, transaction: Transaction) -> Flow:
        handler = self.handler if transaction.is_completed else self.on_cancelled
        done = CompleteKey(self.store, claim, transaction.status)
        if handler is not None and self._transactional(handler):
            return (yield from self._handle_atomically(handler, done, transaction))
        if handler is not None:
            try:
                yield RunHandler(handler, transaction, claim.key)
            except Exception:
                yield from self._release(claim, "failed", "handler_error")
                logger.exception(
                    "callback failed: the handler raised; released for a retry [%s]", claim.key
                )
                return ProcessResult("failed", "handler_error", claim.key, transaction)
        try:
            yield done
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
        return callable(getattr(self.store, "atomic", None)) and not _is_async_callable(handler)

    def _handle_atomically(self, handler: Any, done: CompleteKey, transaction: Transaction) -> Flow:
        claim = done.claim
        try:
            yield RunHandler(handler, transaction, claim.key, done)
        except LeaseLost:
            logger.warning(
                "callback unconfirmed: the claim was taken over while the handler ran; its "
                "writes were rolled back with the transaction [%s]",
                claim.key,
            )
            return ProcessResult("unconfirmed", "lease_expired", claim.key, transaction)
        except Exception:
            yield from self._release(claim, "failed", "handler_error")
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
