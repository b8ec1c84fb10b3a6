"""The durable inbox's flows: work on one stored callback, or sweep the ones left behind.

The endpoints keep each callback in the store (``Store.inbox_put``) before answering 200,
then process it from there: :func:`entry_flow` leases the entry (short, renewed by the
heartbeat while it works), runs the callback flow on the stored bytes and marks the entry
``done`` when nothing is left to do. When something is (the status call failed, the
handler raised, the store failed) the entry is left unfinished: its lease lapses within
seconds and :func:`sweep_flow`, run at worker start and periodically, takes it again. A
worker killed at any point leaves the same trace, so a crash and a failure are recovered
the same way.

Written as generators of effects, like the rest of the processor, so the sync and async
paths share every line (``_drive``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any, Callable, Optional

from .._stores._base import Store
from .._stores._types import InboxClaim, InboxEntry
from ._effects import (
    Effect,
    InboxDiscard,
    InboxFinish,
    InboxGet,
    InboxPurge,
    InboxTake,
    InboxTakeNext,
)
from ._heartbeat import Heartbeat
from ._types import ProcessResult

__all__ = ["DISCARDED", "FINISHED", "TAKEN", "entry_flow", "purge_flow", "sweep_flow"]

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


def entry_flow(
    store: Store,
    digest: str,
    *,
    lease: float,
    heartbeat: Heartbeat,
    body_flow: BodyFlow,
    max_attempts: int,
) -> Generator[Effect, Any, ProcessResult]:
    """Lease the entry ``digest`` and process it; a taken entry is left alone."""
    try:
        claim: Optional[InboxClaim] = yield InboxTake(store, digest, lease)
    except Exception:
        logger.exception("callback failed: the store could not lease the inbox entry")
        return ProcessResult("failed", "store_error")
    if claim is None:
        try:
            entry: Optional[InboxEntry] = yield InboxGet(store, digest)
        except Exception:
            entry = None
        if entry is not None and entry.state == "done":
            logger.info("callback duplicate: the same bytes were already processed")
            return ProcessResult("duplicate", "inbox_done")
        return ProcessResult("in_progress", TAKEN)
    return (yield from _work(store, claim, lease, heartbeat, body_flow, max_attempts))


def sweep_flow(
    store: Store,
    *,
    lease: float,
    heartbeat: Heartbeat,
    body_flow: BodyFlow,
    max_attempts: int,
    report: Callable[[ProcessResult], Any],
    limit: int = 1000,
) -> Generator[Effect, Any, int]:
    """Lease and process, one by one, every entry nobody finished nor holds; the count.

    An entry left unfinished again keeps its lease until it lapses, so one sweep never
    takes the same entry twice.
    """
    count = 0
    while count < limit:
        try:
            claim: Optional[InboxClaim] = yield InboxTakeNext(store, lease)
        except Exception:
            logger.exception("sweep stopped: the store could not lease an inbox entry")
            return count
        if claim is None:
            return count
        logger.info(
            "sweeper took an unfinished callback (received %.0f s ago, attempt %d)",
            max(0.0, claim.lease_until - lease - claim.entry.received_at),
            claim.entry.attempts,
        )
        report((yield from _work(store, claim, lease, heartbeat, body_flow, max_attempts)))
        count += 1
    return count


def _work(
    store: Store,
    claim: InboxClaim,
    lease: float,
    heartbeat: Heartbeat,
    body_flow: BodyFlow,
    max_attempts: int,
) -> Generator[Effect, Any, ProcessResult]:
    beat = heartbeat.keep(lambda: store.inbox_renew(claim, lease_seconds=lease), lease)
    try:
        result = yield from body_flow(claim.entry.body, claim.entry.content_type)
    finally:
        beat.stop()
    outcome: str
    if result.outcome in FINISHED:
        outcome = result.outcome
    elif claim.entry.attempts >= max_attempts:
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
                yield InboxDiscard(store, claim)
                return result
            except NotImplementedError:  # a store without discard keeps it as done
                pass
        yield InboxFinish(store, claim, outcome)
    except Exception:  # processed all the same; a later sweep finds it a duplicate
        logger.exception("could not mark the inbox entry done [%s]", result.key or claim.digest)
    return result


def purge_flow(store: Store, *, older_than: float) -> Generator[Effect, Any, int]:
    """Delete the inbox entries finished more than ``older_than`` seconds ago; the count
    (0 when the store cannot purge or fails: logged, never raised)."""
    try:
        purged: int = yield InboxPurge(store, older_than)
    except NotImplementedError:
        return 0
    except Exception:
        logger.exception("inbox purge failed; trying again at a later sweep")
        return 0
    if purged:
        logger.info(
            "inbox purge: %d finished callbacks older than %.0f s deleted", purged, older_than
        )
    return purged
