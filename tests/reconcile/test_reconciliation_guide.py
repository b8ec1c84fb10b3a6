"""The code blocks of docs/reconciliation.md marked ``<!-- test: name -->`` run as written.

They run in one namespace, in the guide's order, against the real sandbox with callbacks
disabled; the reader's own names (credentials, ``deliver_order``, a schedule that fits a
loopback sandbox) are given. The Celery block runs on a real Celery app (Redis, a queue
of the test's own, removed afterwards) and its reconcile task on a real worker, started in
this process's threads (``celery.contrib.testing.worker``), as beat would send it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import ligdicash
from ligdicash.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "celery"))

from celery_helpers import Broker  # the Celery tests' broker of a run's own

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "reconciliation.md"
BLOCKS = dict(
    re.findall(
        r"<!-- test: ([\w-]+) -->\n```python\n(.*?)\n```", GUIDE.read_text("utf-8"), re.DOTALL
    )
)


def run(name: str, namespace: dict[str, Any]) -> None:
    exec(compile(BLOCKS[name], f"<docs/reconciliation.md: {name}>", "exec"), namespace)


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def test_the_guide_marks_the_blocks_we_run() -> None:
    assert set(BLOCKS) == {"record", "reconciler", "celery"}


def test_the_guide_runs_end_to_end_against_the_sandbox(
    ligdicash_sandbox: Sandbox, tmp_path: Path
) -> None:
    from celery.contrib.testing.worker import start_worker
    from celery_shop import celery_config

    from celery import Celery

    delivered: Counter[str] = Counter()
    redis_url = os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    broker = Broker("redis", redis_url, f"ligdicash_test_{uuid.uuid4().hex[:10]}")
    app = Celery("shop", set_as_current=False)
    app.conf.update(celery_config(broker.url, broker.queue))
    namespace: dict[str, Any] = {
        "ligdicash": ligdicash,
        "STORE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        "API_KEY": ligdicash_sandbox.api_key,
        "AUTH_TOKEN": ligdicash_sandbox.auth_token,
        "BASE_URL": ligdicash_sandbox.base_url,
        "SCHEDULE": (0.0, 60.0),  # loopback sandbox: poll at once, then after a minute
        "deliver_order": lambda tx: delivered.update([tx.custom_data["transaction_id"]]),
        "app": app,
    }
    try:
        # The guide's payment, without a callback from the sandbox.
        run("record", namespace)
        payment = namespace["payment"]
        assert (payment.kind, payment.amount) == ("payin", 15000)
        assert payment.token == namespace["response"].token
        ligdicash_sandbox.set_mode(payment.token, callback="none")
        ligdicash_sandbox.set_status(payment.token, "completed")

        run("reconciler", namespace)
        summary = namespace["summary"]
        assert (summary.polled, summary.settled) == (1, 1)
        assert delivered == Counter({"ORDER-42": 1})

        run("celery", namespace)
        tasks = namespace["ligdicash_tasks"]
        assert app.conf.beat_schedule["ligdicash-reconcile"]["schedule"] == 60.0
        # A payment nobody calls back about, settled by the task on a real worker.
        client = namespace["client"]
        late = client.Invoice(currency="xof", description="Order #43")
        late.add_item(name="Shirt", description="M", quantity=1, unit_price=9000)
        token = late.pay_with_redirection(
            return_url="https://shop.example/ok",
            custom_data={"transaction_id": "ORDER-43", "sandbox_callback": "none"},
        ).token
        ligdicash_sandbox.set_status(str(token), "completed")
        # Celery's in-process worker sets the ROOT logger's level to its own (error) and
        # leaves it: every later test's WARNING would vanish. Put it back.
        root_level = logging.getLogger().level
        try:
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                tasks.reconcile.delay()  # what beat sends every minute
                wait_until(lambda: delivered["ORDER-43"], "the worker's round to deliver ORDER-43")
        finally:
            logging.getLogger().setLevel(root_level)
        assert delivered == Counter({"ORDER-42": 1, "ORDER-43": 1})
        assert namespace["store"].get_payment("ORDER-43").status == "completed"
        assert ligdicash_sandbox.callbacks() == []
    finally:
        if "ligdicash_tasks" in namespace:
            namespace["ligdicash_tasks"].close()
        app.close()
        broker.purge()
        if "client" in namespace:
            namespace["client"].close()
        if "store" in namespace:
            namespace["store"].close()
