"""The Reconciler against the real sandbox: polls, schedule, expiry, in-doubt, exactly once.

Time is a movable clock shared by the store and the reconciler (no sleeps); the sandbox
sends no callbacks (``sandbox_callback: none``), so only the reconciler finds the payments.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from reconcile_helpers import custom, invoice, pay
from store_helpers import Clock

import ligdicash
from ligdicash._stores import MemoryStore
from ligdicash.contrib import CallbackProcessor
from ligdicash.sandbox import Sandbox

SCHEDULE = (60.0, 300.0, 1800.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[MemoryStore]:  # type: ignore[override]
    s = MemoryStore(clock=clock)
    yield s
    s.close()


class Handler:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, transaction: ligdicash.Transaction) -> None:
        with self.lock:
            self.calls[str(transaction.custom_data.get("transaction_id"))] += 1


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def processor(client: ligdicash.Client, store: MemoryStore, handler: Handler) -> CallbackProcessor:
    return CallbackProcessor(
        lookup=ligdicash.registry_lookup(store),
        handler=handler,
        on_cancelled=handler,
        client=client,
        store=store,
    )


def reconciler(
    store: MemoryStore, client: Any, clock: Clock, processor: Any = None, **kw: Any
) -> ligdicash.Reconciler:
    return ligdicash.Reconciler(
        store,
        client=client,
        processor=processor,
        schedule=kw.pop("schedule", SCHEDULE),
        clock=clock,
        **kw,
    )


def test_final_payments_are_handled_once_and_pending_ones_rescheduled(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    tokens = {ref: pay(client, ref) for ref in ("A", "B", "C")}
    ligdicash_sandbox.set_status(tokens["A"], "completed")
    ligdicash_sandbox.set_status(tokens["B"], "nocompleted")
    rec = reconciler(store, client, clock, processor)

    assert rec.run_once() == ligdicash.ReconcileSummary()  # too young: nothing due yet
    clock.advance(60)
    summary = rec.run_once()
    assert (summary.claimed, summary.polled, summary.settled, summary.pending) == (3, 3, 2, 1)
    assert handler.calls == Counter({"A": 1, "B": 1})
    statuses = {ref: store.get_payment(ref).status for ref in tokens}  # type: ignore[union-attr]
    assert statuses == {"A": "completed", "B": "cancelled", "C": "pending"}
    c = store.get_payment("C")
    assert c is not None
    assert c.next_poll_at == clock.now + 300  # the schedule's second gap
    assert rec.run_once().claimed == 0  # C is not due again yet; A and B are off the schedule

    ligdicash_sandbox.set_status(tokens["C"], "completed")
    clock.advance(300)
    assert rec.run_once().settled == 1
    assert handler.calls == Counter({"A": 1, "B": 1, "C": 1})
    clock.advance(86400)
    assert rec.run_once().claimed == 0


def test_a_payment_already_handled_by_its_callback_is_settled_without_running_the_handler(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    token = pay(client, "CB-1")
    ligdicash_sandbox.set_status(token, "completed")
    from ligdicash.contrib import ExpectedTransaction

    assert processor.reconcile(ExpectedTransaction(token, 15000, "CB-1")).outcome == "processed"
    clock.advance(60)
    summary = reconciler(store, client, clock, processor).run_once()
    assert summary.settled == 1
    assert handler.calls == Counter({"CB-1": 1})
    payment = store.get_payment("CB-1")
    assert payment is not None
    assert (payment.status, payment.note) == ("completed", "duplicate")


def test_a_payment_still_pending_after_a_day_expires(
    client: ligdicash.Client, store: MemoryStore, clock: Clock, processor: CallbackProcessor
) -> None:
    pay(client, "OLD")
    rec = reconciler(store, client, clock, processor, expire_after=2000)
    clock.advance(60)
    assert rec.run_once().pending == 1
    payment = store.get_payment("OLD")
    assert payment is not None
    assert payment.next_poll_at == payment.created_at + 360  # 60 + the 300 s gap
    clock.advance(300)
    rec.run_once()
    payment = store.get_payment("OLD")
    assert payment is not None
    assert payment.next_poll_at == payment.created_at + 2000  # 360 + 1800 capped at expiry
    clock.advance(1640)
    summary = rec.run_once()
    assert summary.expired == 1
    payment = store.get_payment("OLD")
    assert payment is not None
    assert payment.status == "expired"
    assert payment.poll_attempts == 3


def test_a_payment_without_a_token_waits_then_goes_in_doubt(
    client: ligdicash.Client, store: MemoryStore, clock: Clock, processor: CallbackProcessor
) -> None:
    store.record_payment("NO-TOKEN", kind="payin", amount=100)
    rec = reconciler(store, client, clock, processor, in_doubt_after=600)
    clock.advance(60)
    summary = rec.run_once()
    assert (summary.pending, summary.in_doubt, summary.polled) == (1, 0, 0)
    clock.advance(600)
    summary = rec.run_once()
    assert (summary.in_doubt, summary.polled) == (1, 0)
    assert rec.counts() == {"in_doubt": 1}


def test_a_failed_status_call_counts_as_an_error_and_is_polled_again(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    token = pay(client, "FLAKY")
    ligdicash_sandbox.set_status(token, "completed")
    ligdicash_sandbox.add_fault("http_500", count=1, path="confirm")
    rec = reconciler(store, client, clock, processor)
    clock.advance(60)
    summary = rec.run_once()
    assert (summary.errors, summary.settled, summary.pending) == (1, 0, 0)
    payment = store.get_payment("FLAKY")
    assert payment is not None
    assert (payment.status, payment.note) == ("pending", "http_500")
    clock.advance(300)
    assert rec.run_once().settled == 1
    assert handler.calls == Counter({"FLAKY": 1})


def test_a_payment_whose_status_calls_keep_failing_expires_instead_of_polling_for_ever(
    client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    store.record_payment("GHOST", kind="payin", amount=100, token="not-a-token-ligdicash-knows")
    rec = reconciler(store, client, clock, expire_after=600)
    clock.advance(60)
    assert rec.run_once().errors == 1
    clock.advance(600)
    summary = rec.run_once()
    assert (summary.errors, summary.expired) == (1, 1)
    payment = store.get_payment("GHOST")
    assert payment is not None
    assert payment.status == "expired"
    assert payment.note.startswith("status call failed: ")
    clock.advance(86400)
    assert rec.run_once().claimed == 0


def test_a_poll_that_contradicts_the_record_is_marked_mismatch_and_not_handled(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    other = ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
    )
    with other:  # created without the store: recorded by hand with the wrong amount
        token = invoice(other, 3000).pay_with_redirection(custom_data=custom("WRONG")).token
    store.record_payment("WRONG", kind="payin", amount=99999, token=token)
    ligdicash_sandbox.set_status(token, "completed")
    clock.advance(60)
    summary = reconciler(store, client, clock, processor).run_once()
    assert summary.errors == 1
    payment = store.get_payment("WRONG")
    assert payment is not None
    assert (payment.status, payment.note) == ("mismatch", "mismatch:amount")
    assert handler.calls == Counter()


def test_without_a_processor_the_reconciler_only_records_statuses(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    token = pay(client, "PLAIN")
    ligdicash_sandbox.set_status(token, "completed")
    clock.advance(60)
    assert reconciler(store, client, clock).run_once().settled == 1
    payment = store.get_payment("PLAIN")
    assert payment is not None
    assert payment.status == "completed"


def test_the_schedule_floor_is_3_s_against_ligdicash_and_free_on_loopback(
    client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    reconciler(store, client, clock, schedule=(0.0,))  # loopback sandbox: any gap
    with ligdicash.Client(api_key="k", auth_token="t") as live:
        with pytest.raises(ligdicash.InvalidRequestError, match="3 s"):
            reconciler(store, live, clock, schedule=(60.0, 1.0))
        reconciler(store, live, clock, schedule=(3.0, 60.0))


@pytest.mark.parametrize(
    "bad",
    [
        {"schedule": ()},
        {"schedule": (-1.0,)},
        {"schedule": 60},
        {"schedule": ("soon",)},
        {"batch_size": 0},
        {"expire_after": 0},
        {"concurrency": 0},
    ],
)
def test_bad_settings_are_refused(
    client: ligdicash.Client, store: MemoryStore, clock: Clock, bad: dict[str, Any]
) -> None:
    with pytest.raises(ligdicash.InvalidRequestError):
        reconciler(store, client, clock, **bad)


def test_run_once_needs_a_client_and_arun_once_an_async_client(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    with pytest.raises(ligdicash.ConfigurationError):
        asyncio.run(reconciler(store, client, clock).arun_once())
    aclient = ligdicash.AsyncClient(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
    )
    with pytest.raises(ligdicash.ConfigurationError):
        reconciler(store, aclient, clock).run_once()


def test_run_forever_settles_then_stops_on_its_event(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    real = MemoryStore()
    rec = ligdicash.Reconciler(real, client=client, processor=None, schedule=(0.0,))
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        store=real,
    ) as c:
        token = pay(c, "LOOP")
    ligdicash_sandbox.set_status(token, "completed")
    stop = threading.Event()
    thread = threading.Thread(target=rec.run_forever, kwargs={"interval": 0.05, "stop_event": stop})
    thread.start()
    try:
        ligdicash_sandbox_wait(lambda: real.payment_counts() == {"completed": 1})
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def ligdicash_sandbox_wait(condition: Any, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_the_async_reconciler_settles_through_areconcile_once(
    ligdicash_sandbox: Sandbox, handler: Handler
) -> None:
    async def main() -> tuple[ligdicash.ReconcileSummary, dict[str, int]]:
        store = MemoryStore()
        async with ligdicash.AsyncClient(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
            store=store,
        ) as c:
            for i in range(5):
                response = await invoice(c).pay_with_redirection(custom_data=custom(f"AS-{i}"))
                if i < 3:
                    ligdicash_sandbox.set_status(response.token, "completed")
            processor = CallbackProcessor(
                lookup=ligdicash.registry_lookup(store), handler=handler, client=c, store=store
            )
            rec = ligdicash.Reconciler(
                store, client=c, processor=processor, schedule=(0.0, 60.0), concurrency=2
            )
            summary = await rec.arun_once()
            stop = asyncio.Event()
            stop.set()
            await rec.arun_forever(interval=0.01, stop_event=stop)  # returns at once
            return summary, store.payment_counts()

    summary, counts = asyncio.run(main())
    assert (summary.settled, summary.pending) == (3, 2)
    assert counts == {"completed": 3, "pending": 2}
    assert handler.calls == Counter({"AS-0": 1, "AS-1": 1, "AS-2": 1})


def test_the_summary_reads_as_a_dict() -> None:
    summary = ligdicash.ReconcileSummary(polled=2, settled=1)
    assert summary.to_dict()["polled"] == 2
    assert (summary + summary).settled == 2


def test_no_credential_or_full_token_reaches_a_log_line_or_a_repr(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="ligdicash")
    tokens = [pay(client, f"S-{i}") for i in range(2)]
    ligdicash_sandbox.set_status(tokens[0], "completed")
    ligdicash_sandbox.add_fault("drop_after", count=1, path="checkout-invoice/create")
    with pytest.raises(ligdicash.APIConnectionError):
        pay(client, "S-LOST")
    rec = reconciler(store, client, clock, processor)
    clock.advance(60)
    summary = rec.run_once()
    shown = [r.getMessage() for r in caplog.records if r.name.startswith("ligdicash")]
    shown += [repr(rec), repr(summary), repr(store.list_payments())]
    shown += [repr(c) for c in store.claim_due_payments(older_than=0)]
    for secret in (ligdicash_sandbox.api_key, ligdicash_sandbox.auth_token, *tokens):
        assert not any(secret in text for text in shown), secret[:10]


def test_thread_cleanup_runs_in_the_worker_thread_after_each_processor_run(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    # Django's command passes close_old_connections: each worker thread must give its
    # connection back after its run, in that very thread (connections are per thread).
    handled_in: list[int] = []
    cleaned_in: list[int] = []
    inner = processor.reconcile

    def reconcile(expected: Any) -> Any:
        handled_in.append(threading.get_ident())
        return inner(expected)

    processor.reconcile = reconcile  # type: ignore[method-assign]
    tokens = {ref: pay(client, ref) for ref in ("T1", "T2", "T3")}
    for token in tokens.values():
        ligdicash_sandbox.set_status(token, "completed")
    rec = reconciler(
        store,
        client,
        clock,
        processor,
        thread_cleanup=lambda: cleaned_in.append(threading.get_ident()),
        concurrency=3,
    )
    clock.advance(60)
    assert rec.run_once().settled == 3
    assert handler.calls == Counter({"T1": 1, "T2": 1, "T3": 1})
    assert len(handled_in) == 3
    assert sorted(cleaned_in) == sorted(handled_in)
    assert threading.get_ident() not in cleaned_in
