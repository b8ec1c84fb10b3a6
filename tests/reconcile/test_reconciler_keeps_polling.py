"""The reconciler keeps polling what it could not settle: nothing drops out of the schedule.

A final status whose processing failed (the handler raised) is not settled: the payment
stays ``pending`` and is polled again at the first gap. A status call that fails is an
error, not a verdict: the payment expires after ``expire_after`` (24 h by default), never
after the 10 minutes a payment without a token gets before it is ``in_doubt``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from reconcile_helpers import pay
from store_helpers import Clock
from test_reconciler import Handler, reconciler

import ligdicash
from ligdicash._reconcile_round import ReconcilePolicy
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


def payout(client: ligdicash.Client, reference: str) -> str:
    """Create a client payout (recorded in the client's store) and return its token."""
    sent = client.Withdrawal(amount=500, description="refund", customer="22670123456").send(
        type="client", custom_data={"transaction_id": reference, "sandbox_callback": "none"}
    )
    return str(sent.token)


@pytest.mark.parametrize("payin_status", ["pending", "completed"])
def test_each_kind_of_payment_in_a_round_is_settled_whatever_the_kind_before_it_did(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    payin_status: str,
) -> None:
    payin_token = pay(client, "A-PAYIN")  # claimed first (same due time, reference order)
    if payin_status != "pending":
        ligdicash_sandbox.set_status(payin_token, payin_status)
    payout(client, "B-PAYOUT")  # the fast sandbox settles it as completed at once
    clock.advance(60)
    summary = reconciler(store, client, clock).run_once()  # no processor: records only
    assert summary.claimed == 2
    assert summary.settled == (2 if payin_status == "completed" else 1)
    assert store.get_payment("B-PAYOUT").status == "completed"  # type: ignore[union-attr]
    assert store.get_payment("A-PAYIN").status == payin_status  # type: ignore[union-attr]


def test_the_counts_count_every_payment_and_the_boundaries_are_inclusive(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
) -> None:
    handler = Handler()
    processor = CallbackProcessor(
        lookup=ligdicash.registry_lookup(store), handler=handler, client=client, store=store
    )
    for ref in ("DONE-1", "DONE-2"):
        ligdicash_sandbox.set_status(pay(client, ref), "completed")
    for ref in ("WAIT-1", "WAIT-2"):
        pay(client, ref)
    for ref in ("GHOST-1", "GHOST-2"):
        store.record_payment(ref, kind="payin", amount=100, token=f"unknown-token-{ref}")
    for ref in ("NOTOKEN-1", "NOTOKEN-2"):
        store.record_payment(ref, kind="payin", amount=100)
    rec = reconciler(store, client, clock, processor, in_doubt_after=600, expire_after=1200)
    clock.advance(60)
    summary = rec.run_once()
    assert summary.to_dict() == {
        "claimed": 8,
        "polled": 6,
        "settled": 2,
        "pending": 4,  # WAIT-*, NOTOKEN-*
        "expired": 0,
        "in_doubt": 0,
        "errors": 2,  # GHOST-*
    }
    assert handler.calls == Counter({"DONE-1": 1, "DONE-2": 1})
    assert store.get_payment("NOTOKEN-1").note == "no token yet"  # type: ignore[union-attr]
    clock.advance(540)  # exactly in_doubt_after since creation
    summary = rec.run_once()
    assert (summary.in_doubt, summary.pending, summary.errors) == (2, 2, 2)
    notoken = store.get_payment("NOTOKEN-2")
    assert notoken is not None
    assert (notoken.status, notoken.note) == ("in_doubt", "no token: the creation answer was lost")
    clock.advance(600)  # exactly expire_after since creation
    summary = rec.run_once()
    assert (summary.expired, summary.errors) == (4, 2)
    wait = store.get_payment("WAIT-1")
    assert wait is not None
    assert (wait.status, wait.note) == ("expired", "still pending")
    ghost = store.get_payment("GHOST-1")
    assert ghost is not None
    assert ghost.status == "expired"
    assert ghost.note.startswith("status call failed: ")


def test_a_poll_naming_another_reference_is_a_mismatch_and_not_handled(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    handler = Handler()
    processor = CallbackProcessor(
        lookup=ligdicash.registry_lookup(store), handler=handler, client=client, store=store
    )
    token = pay(client, "THEIRS")  # same amount, another order's reference
    store.record_payment("MINE", kind="payin", amount=15000, token=token)
    ligdicash_sandbox.set_status(token, "completed")
    clock.advance(60)
    reconciler(store, client, clock, processor).run_once()
    mine = store.get_payment("MINE")
    assert mine is not None
    assert mine.status == "mismatch"
    assert handler.calls == Counter({"THEIRS": 1})  # its own record settled it, once


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"schedule": ()}, "schedule must be a non-empty sequence of seconds >= 0"),
        ({"batch_size": True}, "batch_size must be an int >= 1"),
        ({"batch_size": 2.0}, "batch_size must be an int >= 1"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
        ({"expire_after": True}, "expire_after must be a positive number of seconds"),
        ({"lease_seconds": 0}, "lease_seconds must be a positive number of seconds"),
    ],
)
def test_bad_policies_are_refused_with_what_is_wrong(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ligdicash.InvalidRequestError) as refused:
        ReconcilePolicy(**bad)
    assert str(refused.value) == f"[invalid_request] {message}"


def test_the_smallest_policies_are_accepted_and_the_floor_says_why() -> None:
    tiny = ReconcilePolicy(schedule=(0.0,), batch_size=1, expire_after=0.5, in_doubt_after=0.5)
    assert (tiny.batch_size, tiny.expire_after) == (1, 0.5)
    with pytest.raises(ligdicash.InvalidRequestError) as refused:
        ReconcilePolicy(schedule=(1.0,)).check_floor("https://app.ligdicash.com/pay/v01")
    assert str(refused.value) == (
        "[invalid_request] every schedule gap must be at least 3 s against LigdiCash's hosts "
        "(shorter gaps only for a loopback base_url)"
    )
