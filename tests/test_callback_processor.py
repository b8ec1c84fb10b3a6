"""CallbackProcessor against a real local server: once per event, only after confirmation."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import urlencode

import pytest

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash, status_body
from ligdicash._callbacks import callback_hash
from ligdicash.contrib import (
    CallbackProcessor,
    ExpectedTransaction,
    MemoryIdempotencyStore,
    ProcessResult,
    event_key,
)
from ligdicash.sandbox._callbacks import flatten

CB_TOKEN = "callback-token-0123456789-differs"
ORDER = "ORD-20240512"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fields(**extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "token": CB_TOKEN,
        "status": "completed",
        "amount": 31500,
        "montant": "31500.00",
        "customer": "22670123456",
        "operator_name": "Orange Money",
        "custom_data": {"transaction_id": ORDER},
        "hash": callback_hash(API_KEY, CB_TOKEN, AUTH_TOKEN),
    }
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


def json_copy(**extra: Any) -> tuple[bytes, str]:
    data = fields(**extra)
    data["custom_data"] = [
        {"keyof_customdata": k, "valueof_customdata": v} for k, v in data["custom_data"].items()
    ]
    return json.dumps(data).encode(), JSON


def form_copy(**extra: Any) -> tuple[bytes, str]:
    return urlencode(flatten(fields(**extra), "")).encode(), FORM


class App:
    """What an integrator has: stored orders, a handler, and a record of what ran."""

    def __init__(self) -> None:
        self.orders = {ORDER: ExpectedTransaction(token=LONG_TOKEN, amount=31500)}
        self.delivered: list[ligdicash.Transaction] = []
        self.cancelled: list[ligdicash.Transaction] = []
        self.fail_next = False
        self.lock = threading.Lock()

    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return self.orders.get(callback.order_id)

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        with self.lock:
            if self.fail_next:
                self.fail_next = False
                raise RuntimeError("warehouse offline")
            self.delivered.append(transaction)


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def store() -> MemoryIdempotencyStore:
    return MemoryIdempotencyStore()


@pytest.fixture
def processor(
    app: App, store: MemoryIdempotencyStore, client: ligdicash.Client
) -> CallbackProcessor:
    return CallbackProcessor(
        lookup=app.lookup,
        handler=app.deliver,
        on_cancelled=app.cancelled.append,
        client=client,
        store=store,
    )


KEY = event_key(ExpectedTransaction(token=LONG_TOKEN, amount=31500), "completed")


def test_a_genuine_callback_is_confirmed_then_handled_and_its_copy_is_a_duplicate(
    processor: CallbackProcessor, app: App, fake: FakeLigdicash, store: MemoryIdempotencyStore
) -> None:
    first = processor.process(*json_copy())
    second = processor.process(*form_copy())
    assert (first.outcome, second.outcome) == ("processed", "duplicate")
    assert first.key == second.key == KEY
    assert [t.amount for t in app.delivered] == [31500]
    assert [r.query["invoiceToken"] for r in fake.requests] == [[LONG_TOKEN]]
    record = store.get(KEY)
    assert record is not None
    assert record.state == "done"


def test_two_copies_at_the_same_instant_run_the_handler_once(
    processor: CallbackProcessor, app: App
) -> None:
    barrier = threading.Barrier(2)
    results: list[ProcessResult] = []

    def deliver(copy: tuple[bytes, str]) -> None:
        barrier.wait()
        results.append(processor.process(*copy))

    threads = [threading.Thread(target=deliver, args=(c,)) for c in (json_copy(), form_copy())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.outcome for r in results) == ["duplicate", "processed"]
    assert len(app.delivered) == 1


@pytest.mark.parametrize(
    ("copy", "reason"),
    [
        pytest.param((b"<html>hi</html>", JSON), "invalid_callback", id="garbage"),
        pytest.param(
            json_copy(custom_data={"transaction_id": "ORD-UNKNOWN"}),
            "unknown_transaction",
            id="unknown-order",
        ),
        pytest.param(json_copy(custom_data={}), "unknown_transaction", id="no-order-id"),
    ],
)
def test_a_callback_that_is_not_ours_is_refused_without_any_status_call(
    processor: CallbackProcessor,
    app: App,
    fake: FakeLigdicash,
    copy: tuple[bytes, str],
    reason: str,
) -> None:
    result = processor.process(*copy)
    assert (result.outcome, result.reason) == ("refused", reason)
    assert app.delivered == []
    assert fake.requests == []


@pytest.mark.parametrize(
    ("server", "copy", "field"),
    [
        pytest.param({"status": "pending"}, json_copy(), "status", id="claims-paid-while-pending"),
        pytest.param(
            {"amount": 20, "montant": "20.00"}, json_copy(), "amount", id="paid-20-francs"
        ),
        pytest.param({}, json_copy(amount=20, montant=None), "amount", id="callback-amount-forged"),
        pytest.param(
            {},
            form_copy(custom_data={"transaction_id": ORDER, "vip": "yes"}),
            "custom_data",
            id="custom-data-tampered",
        ),
    ],
)
def test_a_callback_the_status_call_contradicts_is_refused_and_left_claimable(
    processor: CallbackProcessor,
    app: App,
    fake: FakeLigdicash,
    store: MemoryIdempotencyStore,
    server: dict[str, Any],
    copy: tuple[bytes, str],
    field: str,
) -> None:
    fake.push_json(status_body(LONG_TOKEN, **server))
    result = processor.process(*copy)
    assert (result.outcome, result.reason) == ("refused", f"mismatch:{field}")
    assert app.delivered == []
    record = store.get(KEY)
    assert record is not None
    assert record.state == "unconfirmed"
    # The genuine callback arriving later is still processed, exactly once.
    assert processor.process(*json_copy()).outcome == "processed"
    assert processor.process(*form_copy()).outcome == "duplicate"
    assert len(app.delivered) == 1


def test_an_order_stored_with_another_amount_is_never_delivered(
    processor: CallbackProcessor, app: App
) -> None:
    app.orders[ORDER] = ExpectedTransaction(token=LONG_TOKEN, amount=63000)
    result = processor.process(*json_copy())
    assert (result.outcome, result.reason) == ("refused", "mismatch:amount")
    assert app.delivered == []


class TestHashCheck:
    @pytest.fixture
    def processor(self, processor: CallbackProcessor) -> CallbackProcessor:
        processor.verify_hash = True
        return processor

    @pytest.mark.parametrize(
        ("copy", "reason"),
        [
            pytest.param(json_copy(hash=None), "missing_hash", id="missing"),
            pytest.param(form_copy(hash="0" * 64), "invalid_hash", id="wrong"),
            pytest.param(
                json_copy(hash=callback_hash("stolen-key", CB_TOKEN, AUTH_TOKEN)),
                "invalid_hash",
                id="other-api-key",
            ),
        ],
    )
    def test_a_bad_or_missing_hash_is_refused_before_anything_else(
        self,
        processor: CallbackProcessor,
        app: App,
        fake: FakeLigdicash,
        copy: tuple[bytes, str],
        reason: str,
    ) -> None:
        result = processor.process(*copy)
        assert (result.outcome, result.reason) == ("refused", reason)
        assert app.delivered == []
        assert fake.requests == []

    def test_a_good_hash_passes_with_the_clients_credentials(
        self, processor: CallbackProcessor, app: App
    ) -> None:
        assert processor.process(*form_copy()).outcome == "processed"
        assert len(app.delivered) == 1

    def test_the_clients_credentials_are_used_through_its_public_accessor(
        self, app: App, fake: FakeLigdicash
    ) -> None:
        checked: list[str] = []

        class WatchedClient(ligdicash.Client):
            def callback_hash_matches(self, callback: ligdicash.Callback) -> bool:
                checked.append(callback.token)
                return super().callback_hash_matches(callback)

        with WatchedClient(
            api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url
        ) as client:
            processor = CallbackProcessor(
                lookup=app.lookup,
                handler=app.deliver,
                client=client,
                store=MemoryIdempotencyStore(),
                verify_hash=True,
            )
            assert processor.process(*json_copy()).outcome == "processed"
        assert checked == [CB_TOKEN]

    def test_explicit_credentials_win_over_the_clients(self, app: App, fake: FakeLigdicash) -> None:
        other_hash = callback_hash("callbacks-key", CB_TOKEN, "callbacks-token")
        with ligdicash.Client(
            api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url
        ) as client:
            processor = CallbackProcessor(
                lookup=app.lookup,
                handler=app.deliver,
                client=client,
                store=MemoryIdempotencyStore(),
                verify_hash=True,
                api_key="callbacks-key",
                auth_token="callbacks-token",
            )
            assert processor.process(*json_copy()).reason == "invalid_hash"
            assert processor.process(*json_copy(hash=other_hash)).outcome == "processed"


def test_a_status_call_that_times_out_leaves_the_event_unconfirmed_for_the_next_copy(
    app: App, store: MemoryIdempotencyStore, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(LONG_TOKEN), delay=1.0)
    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, timeout=0.3, max_retries=0
    ) as client:
        processor = CallbackProcessor(
            lookup=app.lookup, handler=app.deliver, client=client, store=store
        )
        first = processor.process(*json_copy())
        assert (first.outcome, first.reason) == ("unconfirmed", "timeout")
        assert app.delivered == []
        record = store.get(KEY)
        assert record is not None
        assert (record.state, record.note) == ("unconfirmed", "timeout")
        assert processor.process(*form_copy()).outcome == "processed"
        assert processor.process(*json_copy()).outcome == "duplicate"
    assert len(app.delivered) == 1


def test_when_the_first_copy_times_out_the_concurrent_copy_takes_over(
    app: App, store: MemoryIdempotencyStore, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(LONG_TOKEN), delay=1.0)
    results: list[ProcessResult] = []
    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, timeout=0.3, max_retries=0
    ) as client:
        processor = CallbackProcessor(
            lookup=app.lookup,
            handler=app.deliver,
            client=client,
            store=store,
            on_result=results.append,
        )
        threads = [
            threading.Thread(target=processor.process, args=copy)
            for copy in (json_copy(), form_copy())
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(r.outcome for r in results) == ["processed", "unconfirmed"]
    assert len(app.delivered) == 1


def test_a_handler_that_raises_is_released_and_run_again_by_the_next_copy(
    processor: CallbackProcessor, app: App, store: MemoryIdempotencyStore
) -> None:
    app.fail_next = True
    failed = processor.process(*json_copy())
    assert (failed.outcome, failed.reason) == ("failed", "handler_error")
    record = store.get(KEY)
    assert record is not None
    assert record.state == "failed"
    assert processor.process(*form_copy()).outcome == "processed"
    assert len(app.delivered) == 1


def test_a_lookup_that_raises_processes_nothing(
    app: App, client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    def broken(callback: ligdicash.Callback) -> None:
        raise LookupError("db down")

    processor = CallbackProcessor(
        lookup=broken, handler=app.deliver, client=client, store=MemoryIdempotencyStore()
    )
    result = processor.process(*json_copy())
    assert (result.outcome, result.reason) == ("failed", "lookup_error")
    assert fake.requests == []
    assert app.delivered == []


def test_a_lookup_handing_back_the_callbacks_own_token_is_refused(
    processor: CallbackProcessor, app: App, fake: FakeLigdicash
) -> None:
    # Indistinguishable from a forged body carrying the creation token: a final refusal
    # (issue 17 item 9), with a WARNING naming both causes.
    app.orders[ORDER] = ExpectedTransaction(token=CB_TOKEN, amount=31500)
    result = processor.process(*json_copy())
    assert (result.outcome, result.reason) == ("refused", "forged_token")
    assert fake.requests == []


def test_a_pending_callback_is_ignored(processor: CallbackProcessor, fake: FakeLigdicash) -> None:
    result = processor.process(*json_copy(status="pending"))
    assert (result.outcome, result.reason) == ("ignored", "not_final")
    assert fake.requests == []


def test_a_confirmed_cancellation_goes_to_on_cancelled_not_to_the_handler(
    processor: CallbackProcessor, app: App, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(LONG_TOKEN, status="nocompleted"))
    result = processor.process(*form_copy(status="nocompleted"))
    assert result.outcome == "processed"
    assert app.delivered == []
    assert [t.status for t in app.cancelled] == ["cancelled"]


def test_polling_confirms_what_no_callback_could_and_shares_the_callbacks_keys(
    processor: CallbackProcessor, app: App, fake: FakeLigdicash
) -> None:
    expected = app.orders[ORDER]
    fake.push_json(status_body(LONG_TOKEN, status="pending"))
    pending = processor.reconcile(expected)
    assert (pending.outcome, pending.reason) == ("unconfirmed", "not_final")
    assert processor.reconcile(expected).outcome == "processed"
    assert processor.reconcile(expected).outcome == "duplicate"
    assert processor.process(*json_copy()).outcome == "duplicate"
    assert len(app.delivered) == 1


def test_polling_refuses_a_transaction_that_does_not_match_the_order(
    processor: CallbackProcessor, app: App, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(LONG_TOKEN, amount=20, montant="20.00"))
    result = processor.reconcile(app.orders[ORDER])
    assert (result.outcome, result.reason) == ("refused", "mismatch:amount")
    assert app.delivered == []


def test_a_sync_processor_given_an_async_handler_fails_cleanly(
    client: ligdicash.Client, app: App
) -> None:
    async def handler(transaction: ligdicash.Transaction) -> None:
        raise AssertionError("never awaited")

    processor = CallbackProcessor(
        lookup=app.lookup, handler=handler, client=client, store=MemoryIdempotencyStore()
    )
    assert processor.process(*json_copy()).reason == "handler_error"


def test_the_logs_tell_every_outcome_without_a_secret(
    processor: CallbackProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    processor.verify_hash = True
    with caplog.at_level(logging.DEBUG, logger="ligdicash"):
        processor.process(*json_copy())
        processor.process(*form_copy())
        processor.process(*json_copy(hash="0" * 64))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "callback processed" in text
    assert "duplicate" in text
    assert "refused" in text
    for secret in (API_KEY, AUTH_TOKEN, CB_TOKEN, LONG_TOKEN, "22670123456", fields()["hash"]):
        assert secret not in text
    assert "226*****456" in text


class TestAsync:
    @pytest.fixture
    def async_client(self, fake: FakeLigdicash) -> Iterator[ligdicash.AsyncClient]:
        return ligdicash.AsyncClient(api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url)

    @pytest.mark.anyio
    async def test_aprocess_runs_async_lookups_and_handlers_once(
        self, async_client: ligdicash.AsyncClient, app: App, fake: FakeLigdicash
    ) -> None:
        delivered: list[ligdicash.Transaction] = []

        async def lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
            return app.lookup(callback)

        async def handler(transaction: ligdicash.Transaction) -> None:
            delivered.append(transaction)

        processor = CallbackProcessor(
            lookup=lookup, handler=handler, client=async_client, store=MemoryIdempotencyStore()
        )
        async with async_client:
            first = await processor.aprocess(*json_copy())
            second = await processor.aprocess(*form_copy())
            polled = await processor.areconcile(app.orders[ORDER])
        assert (first.outcome, second.outcome, polled.outcome) == (
            "processed",
            "duplicate",
            "duplicate",
        )
        assert len(delivered) == 1

    @pytest.mark.anyio
    async def test_aprocess_accepts_a_sync_client_and_sync_callables(
        self, client: ligdicash.Client, app: App
    ) -> None:
        processor = CallbackProcessor(
            lookup=app.lookup, handler=app.deliver, client=client, store=MemoryIdempotencyStore()
        )
        assert (await processor.aprocess(*form_copy())).outcome == "processed"
        forged = await processor.aprocess(*json_copy(custom_data={"transaction_id": "ORD-X"}))
        assert forged.outcome == "refused"
        assert len(app.delivered) == 1
