"""A span per callback processed, on the real processor and a real store (SQLite), the
status call's span under it; callbacks counted by outcome; the inbox gauges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from otel_telemetry import Telemetry

import ligdicash
from ligdicash import open_store
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
from ligdicash.contrib.otel import LigdicashInstrumentor
from ligdicash.sandbox import CallbackReceiver

ORDER = "ORD-OTEL-1"
AMOUNT = 1500


class Shop:
    """What the merchant stored at creation, and what it delivered."""

    def __init__(self) -> None:
        self.token = ""
        self.delivered: list[ligdicash.Transaction] = []

    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        if callback.order_id != ORDER:
            return None
        return ExpectedTransaction(token=self.token, amount=AMOUNT, transaction_id=ORDER)

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        self.delivered.append(transaction)


@pytest.fixture
def client(ligdicash_sandbox: Any) -> Iterator[ligdicash.Client]:
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
    ) as opened:
        yield opened


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def paid_callbacks(
    client: ligdicash.Client, sandbox: Any, shop: Shop, telemetry: Telemetry
) -> list[Any]:
    """A hosted payment created, paid on the sandbox; both deliveries of its callback."""
    with CallbackReceiver() as rx:
        invoice = client.Invoice(description="Order", store_name="Shop")
        invoice.add_item(name="Tea", description="", quantity=1, unit_price=AMOUNT)
        response = invoice.pay_with_redirection(
            return_url=rx.return_url,
            cancel_url=rx.cancel_url,
            callback_url=rx.callback_url,
            custom_data={"transaction_id": ORDER},
        )
        shop.token = response.token
        sandbox.approve(response.token)
        received = rx.wait_for(2, timeout=20)
    for delivery in received:
        callback = delivery.callback
        telemetry.secrets.update({response.token, callback.token, callback.hash})
        telemetry.secrets.add(callback.customer)
    return received


def child_of(telemetry: Telemetry, parent: ReadableSpan, name: str) -> ReadableSpan:
    [child] = [
        s
        for s in telemetry.spans(name)
        if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]
    return child


def test_a_callback_kept_then_processed_is_one_span_over_its_status_call(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any, store: Any
) -> None:
    shop = Shop()
    first, second = paid_callbacks(client, ligdicash_sandbox, shop, telemetry)
    processor = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store
    )
    LigdicashInstrumentor().watch_inbox(store, name="shop")
    entry = processor.accept(first.body.encode(), first.content_type)
    assert entry is not None
    assert telemetry.total("ligdicash.inbox.backlog", **{"ligdicash.store": "shop"}) == 1

    result = processor.process_inbox(entry.digest)
    assert result.outcome == "processed"
    assert len(shop.delivered) == 1
    assert processor.process(second.body.encode(), second.content_type).outcome == "duplicate"

    inbox, direct = telemetry.spans("ligdicash callback")
    assert dict(inbox.attributes or {}) == {
        "ligdicash.callback.source": "inbox",
        "ligdicash.outcome": "processed",
        "ligdicash.reason": "completed",
    }
    status = child_of(telemetry, inbox, "ligdicash payin_status")
    assert dict(status.attributes or {})["ligdicash.outcome"] == "ok"
    assert dict(direct.attributes or {})["ligdicash.outcome"] == "duplicate"
    assert dict(direct.attributes or {})["ligdicash.callback.source"] == "callback"

    assert telemetry.total("ligdicash.callbacks", **{"ligdicash.outcome": "processed"}) == 1
    assert telemetry.total("ligdicash.callbacks", **{"ligdicash.outcome": "duplicate"}) == 1
    assert telemetry.total("ligdicash.inbox.backlog", **{"ligdicash.store": "shop"}) == 0
    assert telemetry.total("ligdicash.inbox.oldest_age", **{"ligdicash.store": "shop"}) == 0


def test_a_refused_callback_and_a_poll_say_their_outcome_and_reason(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any, store: Any
) -> None:
    shop = Shop()
    first, _ = paid_callbacks(client, ligdicash_sandbox, shop, telemetry)
    processor = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store
    )
    forged = first.body.replace(ORDER, "ORD-NOT-OURS").encode()
    assert processor.process(forged, first.content_type).outcome == "refused"
    polled = processor.reconcile(ExpectedTransaction(shop.token, AMOUNT, ORDER))
    assert polled.outcome == "processed"

    refused, poll = telemetry.spans("ligdicash callback")
    assert dict(refused.attributes or {})["ligdicash.outcome"] == "refused"
    assert dict(refused.attributes or {})["ligdicash.reason"] == "unknown_transaction"
    assert dict(poll.attributes or {})["ligdicash.callback.source"] == "poll"
    assert dict(poll.attributes or {})["ligdicash.outcome"] == "processed"
    child_of(telemetry, poll, "ligdicash payin_status")
    assert telemetry.total("ligdicash.callbacks", **{"ligdicash.callback.source": "poll"}) == 1


def test_the_inbox_gauges_see_what_waits_and_the_sweep_spans_each_entry(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any, store: Any
) -> None:
    shop = Shop()
    first, _ = paid_callbacks(client, ligdicash_sandbox, shop, telemetry)
    LigdicashInstrumentor().watch_inbox(store)
    # Kept an hour ago by a worker that died before processing it.
    store.inbox_put(first.body.encode(), first.content_type, received_at=first.at - 3600)
    ages = [
        point.value
        for name, attrs, point in telemetry.metrics()
        if name == "ligdicash.inbox.oldest_age" and attrs == {"ligdicash.store": "SQLiteStore"}
    ]
    assert len(ages) == 1
    assert ages[0] >= 3600
    processor = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store
    )
    assert processor.sweep() == 1
    swept = telemetry.span("ligdicash callback")
    assert dict(swept.attributes or {})["ligdicash.callback.source"] == "sweep"
    assert dict(swept.attributes or {})["ligdicash.outcome"] == "processed"
    child_of(telemetry, swept, "ligdicash payin_status")
    assert telemetry.total("ligdicash.inbox.backlog", **{"ligdicash.store": "SQLiteStore"}) == 0


def test_work_handed_to_the_background_pool_stays_in_the_requests_trace(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any, store: Any
) -> None:
    """What the Django and Flask endpoints do after answering 200: the pool's thread runs
    the processor in the request's context, so a server span is the callback's parent."""
    from ligdicash.contrib import BackgroundRunner

    shop = Shop()
    first, _ = paid_callbacks(client, ligdicash_sandbox, shop, telemetry)
    processor = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store
    )
    runner = BackgroundRunner(max_workers=1)
    request = telemetry.tracer_provider.get_tracer("framework")
    try:
        with request.start_as_current_span("POST /ligdicash/callback") as server:
            job = runner.submit(lambda: processor.process(first.body.encode(), first.content_type))
        assert job.result(timeout=30).outcome == "processed"
    finally:
        runner.shutdown()
    callback = telemetry.span("ligdicash callback")
    assert callback.parent is not None
    assert callback.parent.span_id == server.get_span_context().span_id


def test_the_async_processor_spans_a_callback_over_its_awaited_status_call(
    telemetry: Telemetry, client: ligdicash.Client, ligdicash_sandbox: Any, store: Any
) -> None:
    import asyncio

    shop = Shop()
    first, _ = paid_callbacks(client, ligdicash_sandbox, shop, telemetry)

    async def main() -> str:
        async with ligdicash.AsyncClient(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
        ) as aclient:
            processor = CallbackProcessor(
                lookup=shop.lookup, handler=shop.deliver, client=aclient, store=store
            )
            result = await processor.aprocess(first.body.encode(), first.content_type)
            return result.outcome

    assert asyncio.run(main()) == "processed"
    callback = telemetry.span("ligdicash callback")
    assert dict(callback.attributes or {})["ligdicash.outcome"] == "processed"
    child_of(telemetry, callback, "ligdicash payin_status")
