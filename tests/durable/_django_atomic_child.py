"""A child process: the Django ORM store runs the handler and the "done" mark in one
transaction. Prints one JSON object of observations; ``test_django_transactional_handler``
asserts on it. Usage: ``python _django_atomic_child.py <database URL>``."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from durable_helpers import django_databases  # noqa: E402


def main(url: str) -> dict[str, Any]:
    settings.configure(
        INSTALLED_APPS=["ligdicash.contrib.django"], DATABASES=django_databases(url), USE_TZ=True
    )
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", "ligdicash", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE shop_delivery (token varchar(600) NOT NULL)")

    import ligdicash
    from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash
    from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
    from ligdicash.contrib.django._store import DjangoStore

    expected = ExpectedTransaction(token=LONG_TOKEN, amount=31500, transaction_id="ORD-20240512")
    store = DjangoStore("default")
    mode = {"value": "ok"}

    def take_over(key: str) -> None:
        """Another worker, on its own connection, whose clock says our lease lapsed."""

        def run() -> None:
            later = DjangoStore("default", clock=lambda: time.time() + 3600)
            later.claim(key, lease_seconds=30)
            connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    def deliver(transaction: ligdicash.Transaction, *, event_key: str) -> None:
        if mode["value"] == "taken_over":
            take_over(event_key)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO shop_delivery (token) VALUES (%s)", [transaction.token])
        if mode["value"] == "raise":
            raise RuntimeError("the mail server is down")

    def deliveries() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM shop_delivery")
            return int(cursor.fetchone()[0])

    seen: dict[str, Any] = {}
    with FakeLigdicash() as fake:
        client = ligdicash.Client(
            api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
        )
        processor = CallbackProcessor(
            lookup=lambda callback: expected, handler=deliver, client=client, store=store
        )
        mode["value"] = "raise"
        result = processor.reconcile(expected)
        record = store.get(result.key)
        seen["raise"] = [result.outcome, deliveries(), record.state if record else None]
        mode["value"] = "taken_over"
        result = processor.reconcile(expected)
        record = store.get(result.key)
        seen["taken_over"] = [result.outcome, deliveries(), record.state if record else None]
        store.release(
            ligdicash.contrib.Claim(result.key, "claimed", record.owner if record else ""),
            state="failed",
        )
        mode["value"] = "ok"
        result = processor.reconcile(expected)
        record = store.get(result.key)
        seen["ok"] = [result.outcome, deliveries(), record.state if record else None]
        again = processor.reconcile(expected)
        seen["again"] = [again.outcome, deliveries()]
        client.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
