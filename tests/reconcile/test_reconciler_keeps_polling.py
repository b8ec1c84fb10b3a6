"""The reconciler keeps polling what it could not settle: nothing drops out of the schedule.

A final status whose processing failed (the handler raised) is not settled: the payment
stays ``pending`` and is polled again at the first gap. A status call that fails is an
error, not a verdict: the payment expires after ``expire_after`` (24 h by default), never
after the 10 minutes a payment without a token gets before it is ``in_doubt``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from reconcile_helpers import pay
from store_helpers import Clock
from test_reconciler import Handler, reconciler

import ligdicash
from ligdicash._stores import MemoryStore
from ligdicash.contrib import CallbackProcessor
from ligdicash.sandbox import Sandbox


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[MemoryStore]:  # type: ignore[override]
    s = MemoryStore(clock=clock)
    yield s
    s.close()


class FailsOnce(Handler):
    """Records the payments it handled; raises the first time (the order database is down)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = 0

    def __call__(self, transaction: ligdicash.Transaction) -> None:
        if not self.failed:
            self.failed += 1
            raise RuntimeError("the order database is down")
        super().__call__(transaction)


def test_a_final_status_whose_handler_failed_stays_pending_and_is_polled_again(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    handler = FailsOnce()
    processor = CallbackProcessor(
        lookup=ligdicash.registry_lookup(store), handler=handler, client=client, store=store
    )
    token = pay(client, "RETRY")
    ligdicash_sandbox.set_status(token, "completed")
    rec = reconciler(store, client, clock, processor)
    clock.advance(60)

    summary = rec.run_once()
    assert (summary.polled, summary.settled, summary.errors) == (1, 0, 1)
    payment = store.get_payment("RETRY")
    assert payment is not None
    assert payment.status == "pending"  # not "completed": the handler never succeeded
    assert payment.next_poll_at == clock.now + 60  # the first gap
    assert payment.note.startswith("failed:")
    assert rec.run_once().claimed == 0  # not due before that

    clock.advance(60)
    assert rec.run_once().settled == 1
    assert handler.calls == Counter({"RETRY": 1})
    assert store.get_payment("RETRY").status == "completed"  # type: ignore[union-attr]


def test_a_failing_status_call_expires_a_payment_after_a_day_not_after_ten_minutes(
    client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    store.record_payment("GHOST", kind="payin", amount=100, token="not-a-token-ligdicash-knows")
    rec = reconciler(store, client, clock)  # the default expiry (24 h) and in-doubt (10 min)
    clock.advance(60)
    assert rec.run_once().errors == 1
    clock.advance(1000)  # 1060 s old: past in_doubt_after, far from expire_after
    summary = rec.run_once()
    assert (summary.claimed, summary.errors, summary.expired, summary.in_doubt) == (1, 1, 0, 0)
    payment = store.get_payment("GHOST")
    assert payment is not None
    assert payment.status == "pending"
    clock.advance(86400)
    assert rec.run_once().expired == 1
    assert store.get_payment("GHOST").status == "expired"  # type: ignore[union-attr]


def test_past_the_schedule_a_pending_payment_is_polled_at_the_last_gap(
    client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    pay(client, "LONG")
    rec = reconciler(store, client, clock, schedule=(60.0, 300.0))
    clock.advance(60)
    for polls in range(1, 5):  # more polls than the schedule has gaps
        assert rec.run_once().pending == 1
        payment = store.get_payment("LONG")
        assert payment is not None
        assert (payment.poll_attempts, payment.next_poll_at) == (polls, clock.now + 300)
        clock.advance(300)
