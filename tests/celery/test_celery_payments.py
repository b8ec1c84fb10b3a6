"""The payments tasks on a real Celery worker (Redis, then RabbitMQ), the sandbox as
LigdiCash: a reconcile round settles payments nobody called back about, an inbox sweep
finishes a callback whose web worker died after answering 200; each payment is handled
once although the messages are sent twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from celery_helpers import wait_until

import ligdicash
from ligdicash.contrib import CallbackProcessor
from ligdicash.sandbox import CallbackReceiver, Sandbox


def hosted(client: ligdicash.Client, reference: str, amount: int, **custom: Any) -> str:
    invoice = client.Invoice(currency="xof", description=f"Order {reference}")
    invoice.add_item(name="Shirt", description="M", quantity=1, unit_price=amount)
    response = invoice.pay_with_redirection(
        return_url="http://127.0.0.1:9/ok",
        callback_url=custom.pop("callback_url", "http://127.0.0.1:9/cb"),
        custom_data={"transaction_id": reference, **custom},
    )
    return str(response.token)


def delivered(path: Path) -> list[str]:
    return path.read_text("utf-8").split() if path.exists() else []


def test_reconcile_and_sweep_tasks_handle_each_payment_once_on_a_worker(
    broker: Any,
    workers_for: Callable[..., Any],
    shop_tasks: Any,
    ligdicash_sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    store_url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    deliveries = tmp_path / "deliveries.txt"
    store = ligdicash.open_store(store_url)
    sb = ligdicash_sandbox
    client = ligdicash.Client(
        api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, store=store
    )
    workers = workers_for(
        broker,
        sb,
        LIGDICASH_STORE_URL=store_url,
        SHOP_HANDLER="celery_shop:deliver",
        SHOP_DELIVERIES=str(deliveries),
    )
    try:
        # A callback the shop's endpoint kept in its inbox, then died before processing.
        with CallbackReceiver() as rx:
            token = hosted(client, "CEL-CB", 2500, callback_url=rx.callback_url)
            sb.set_status(token, "completed")
            first = rx.wait_for(1)[0]
        processor = CallbackProcessor(
            lookup=ligdicash.registry_lookup(store),
            handler=lambda tx: None,  # never runs here: the worker processes it
            client=client,
            store=store,
        )
        entry = processor.accept(first.body.encode(), first.content_type)
        assert entry is not None
        # Payments nobody calls back about: only a poll finds them completed.
        for n in range(4):
            token = hosted(client, f"CEL-{n}", 1000 + n, sandbox_callback="none")
            sb.set_status(token, "completed")

        workers.start()
        for _ in range(2):  # a beat tick sent twice: the second sweep finds nothing to do
            shop_tasks.sweep_inbox.delay()
        wait_until(lambda: "CEL-CB" in delivered(deliveries), "the sweep to deliver CEL-CB")
        wait_until(lambda: store.inbox_get(entry.digest).state == "done", "the entry done")

        for _ in range(2):  # two rounds at once (two beats, a redelivery): leases split them
            shop_tasks.reconcile.delay()
        expected = {f"CEL-{n}" for n in range(4)} | {"CEL-CB"}

        def settled() -> bool:
            return all(store.get_payment(ref).status == "completed" for ref in expected)

        wait_until(settled, "every payment completed in the registry")
        wait_until(lambda: set(delivered(deliveries)) == expected, "every delivery")
        assert sorted(delivered(deliveries)) == sorted(expected)  # once each
    except BaseException:
        print(workers.log_tail())
        raise
    finally:
        client.close()
        store.close()
