"""The durable inbox as the callback processor uses it: keep a callback, work on one stored
callback, sweep the ones left behind, purge the finished ones.

The endpoints keep each callback in the store (``Store.inbox_put``) before answering 200,
then process it from there: :meth:`CallbackInbox.entry_flow` leases the entry (short,
renewed by the heartbeat while it works), runs the callback flow on the stored bytes and
marks the entry ``done`` when nothing is left to do. When something is (the status call
failed, the handler raised, the store failed) the entry is left unfinished: its lease
lapses within seconds and :meth:`CallbackInbox.sweep_flow`, run at worker start and
periodically, takes it again. A worker killed at any point leaves the same trace, so a
crash and a failure are recovered the same way.

:class:`CallbackInbox` holds the store, the heartbeat and the callback flow to run on each
stored body; the processor holds one (when its store has an inbox) and drives its flows.
They are generators of ``ligdicash._drive``'s effects, so the sync and async paths share
every line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from typing import Any, Callable, Optional

from .._drive import Blocking, Effect
from .._exceptions import StoreUnavailableError
from .._observe import watch_callback
from .._stores._base import Store
from .._stores._types import InboxClaim, InboxEntry
from . import _timing
from ._heartbeat import Heartbeat
from ._types import ProcessResult

__all__ = [
    "DEFAULT_INBOX_RETENTION",
    "DEFAULT_MAX_PENDING",
    "DISCARDED",
    "FINISHED",
    "PURGE_INTERVAL",
    "TAKEN",
    "CallbackInbox",
]

#: How long a finished inbox entry is kept (seconds): 7 days.
DEFAULT_INBOX_RETENTION = 7 * 86_400.0
#: How many unfinished callbacks the inbox holds before the endpoints answer 503.
DEFAULT_MAX_PENDING = 10_000
#: Seconds between two purges by the sweeps of one processor.
PURGE_INTERVAL = 60.0

logger = logging.getLogger("ligdicash.callbacks")

#: Outcomes after which an inbox entry is done: nothing more can come of it. The others
#: (``unconfirmed``, ``failed``) leave it for the sweeper.
FINISHED = frozenset({"processed", "duplicate", "refused", "ignored", "in_progress"})
#: Finished outcomes whose entry is deleted at once rather than kept for the retention:
#: the handler did not run, so there is nothing to audit, and anyone can post bodies that
#: end so (a forged order id, a status that is not final, a copy of a done event). Deleting
#: them bounds what an unauthenticated sender makes the shop keep to the unfinished
#: entries, which ``max_pending`` caps. The refusal itself is in the log and ``on_result``.
DISCARDED = frozenset({"refused", "ignored", "duplicate", "in_progress"})
#: The reason of the result when another worker had already taken the entry (or finished
#: it): nothing was done here, and ``on_result`` is not called for it.
TAKEN = "inbox_taken"

BodyFlow = Callable[[bytes, str], Generator[Effect, Any, ProcessResult]]


def inbox_lease(lease_seconds: Optional[float]) -> float:
    """An inbox entry's lease for a processor's ``lease_seconds`` (always a renewed one)."""
    if lease_seconds is None:
        return _timing.RENEWED_LEASE
    return max(lease_seconds, _timing.MIN_RENEWED_LEASE)


class CallbackInbox:
    """A store's callback inbox, worked on with a callback flow.

    Args:
        store: the store whose inbox this is.
        body_flow: the flow to run on a stored body (the processor's).
        heartbeat: renews the lease of the entry being worked on.
        lease: seconds an entry's lease lasts without renewal.
        max_attempts: leases of one entry that left something to do before it is given up.
        max_pending: unfinished entries beyond which :meth:`keep` refuses (``None``: no bound).
        retention: seconds a finished entry is kept before a sweep purges it (``None``: kept).
        report: called with the result of each entry a sweep worked on.
    """

    def __init__(
        self,
        store: Store,
        *,
        body_flow: BodyFlow,
        heartbeat: Heartbeat,
        lease: float,
        max_attempts: int,
        max_pending: Optional[int],
        retention: Optional[float],
        report: Callable[[ProcessResult], Any],
    ) -> None:
        self.store = store
        self._body_flow = body_flow
        self._heartbeat = heartbeat
        self._lease = lease
        self._max_attempts = max_attempts
        self._max_pending = max_pending
        self._retention = retention
        self._report = report
        self._last_purge: Optional[float] = None

    def keep(self, body: bytes, content_type: str) -> InboxEntry:
        """Store a received body (a readable callback), unless the inbox is full.

        Raises:
            StoreUnavailableError: the store cannot take it, or the inbox already holds
                ``max_pending`` unfinished callbacks (``code="inbox_full"``).
        """
        if self._max_pending is not None:
            backlog = self.store.inbox_backlog()
            if backlog >= self._max_pending:
                raise StoreUnavailableError(
                    f"the callback inbox holds {backlog} unfinished callbacks "
                    f"(max_pending={self._max_pending}): not keeping more until the workers "
                    f"catch up",
                    code="inbox_full",
                )
        return self.store.inbox_put(body, content_type, received_at=time.time())

    def entry_flow(self, digest: str) -> Generator[Effect, Any, ProcessResult]:
        """Lease the entry ``digest`` and process it; a taken entry is left alone."""
        store = self.store
        try:
            claim: Optional[InboxClaim] = yield Blocking(
                store.inbox_claim, digest, lease_seconds=self._lease
            )
        except Exception:
            logger.exception("callback failed: the store could not lease the inbox entry")
            return ProcessResult("failed", "store_error")
        if claim is None:
            try:
                entry: Optional[InboxEntry] = yield Blocking(store.inbox_get, digest)
            except Exception:
                entry = None
            if entry is not None and entry.state == "done":
                logger.info("callback duplicate: the same bytes were already processed")
                return ProcessResult("duplicate", "inbox_done")
            return ProcessResult("in_progress", TAKEN)
        return (yield from self._work(claim))

    def sweep_flow(self, limit: int = 1000) -> Generator[Effect, Any, int]:
        """Lease and process, one by one, every entry nobody finished nor holds, then purge
        the finished ones (at most once a :data:`PURGE_INTERVAL`); the count processed.

        An entry left unfinished again keeps its lease until it lapses, so one sweep never
        takes the same entry twice.
        """
        count = yield from self._sweep(limit)
        now = time.monotonic()
        if self._retention is not None and (
            self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL
        ):
            self._last_purge = now
            yield from self.purge_flow()
        return count

    def _sweep(self, limit: int) -> Generator[Effect, Any, int]:
        count = 0
        while count < limit:
            try:
                claim: Optional[InboxClaim] = yield Blocking(
                    self.store.inbox_claim_next, lease_seconds=self._lease
                )
            except Exception:
                logger.exception("sweep stopped: the store could not lease an inbox entry")
                return count
            if claim is None:
                return count
            logger.info(
                "sweeper took an unfinished callback (received %.0f s ago, attempt %d)",
                max(0.0, claim.lease_until - self._lease - claim.entry.received_at),
                claim.entry.attempts,
            )
            self._report((yield from self._work(claim, source="sweep")))
            count += 1
        return count

    def _work(
        self, claim: InboxClaim, source: Optional[str] = None
    ) -> Generator[Effect, Any, ProcessResult]:
        store, lease = self.store, self._lease
        beat = self._heartbeat.keep(lambda: store.inbox_renew(claim, lease_seconds=lease), lease)
        flow = self._body_flow(claim.entry.body, claim.entry.content_type)
        if source is not None:  # a sweep's entry: its own callback span (the entry flow has one)
            flow = watch_callback(flow, source=source)
        try:
            result = yield from flow
        finally:
            beat.stop()
        outcome: str
        if result.outcome in FINISHED:
            outcome = result.outcome
        elif claim.entry.attempts >= self._max_attempts:
            outcome = f"gave_up:{result.outcome}:{result.reason}"[:200]
            logger.error(
                "callback given up after %d attempts (%s: %s); the reconciler or an operator "
                "must settle it [%s]",
                claim.entry.attempts,
                result.outcome,
                result.reason,
                result.key or claim.digest,
            )
        else:
            logger.info(
                "callback left in the inbox (%s: %s): retried when its lease lapses [%s]",
                result.outcome,
                result.reason,
                result.key or claim.digest,
            )
            return result
        try:
            if outcome in DISCARDED:
                try:
                    yield Blocking(store.inbox_discard, claim)
                    return result
                except NotImplementedError:  # a store without discard keeps it as done
                    pass
            yield Blocking(store.inbox_finish, claim, outcome=outcome)
        except Exception:  # processed all the same; a later sweep finds it a duplicate
            logger.exception("could not mark the inbox entry done [%s]", result.key or claim.digest)
        return result

    def purge_flow(self, older_than: Optional[float] = None) -> Generator[Effect, Any, int]:
        """Delete the entries finished more than ``older_than`` seconds ago (default: the
        retention); the count (0 when there is no retention, or the store cannot purge or
        fails: logged, never raised)."""
        keep = self._retention if older_than is None else older_than
        if keep is None:
            return 0
        try:
            purged: int = yield Blocking(self.store.inbox_purge, older_than=keep)
        except NotImplementedError:
            return 0
        except Exception:
            logger.exception("inbox purge failed; trying again at a later sweep")
            return 0
        if purged:
            logger.info(
                "inbox purge: %d finished callbacks older than %.0f s deleted", purged, keep
            )
        return purged
