"""The code blocks of docs/reconciliation.md marked ``<!-- test: name -->`` run as written.

They run in one namespace, in the guide's order, against the real sandbox with callbacks
disabled; the reader's own names (credentials, ``deliver_order``, a schedule that fits a
loopback sandbox) are given. The Celery block runs without Celery installed: ``app`` is a
stand-in with Celery's two attributes the block uses (``task`` and ``conf.beat_schedule``),
and the task function is then called as beat would.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

import ligdicash
from ligdicash.sandbox import Sandbox

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "reconciliation.md"
BLOCKS = dict(
    re.findall(
        r"<!-- test: ([\w-]+) -->\n```python\n(.*?)\n```", GUIDE.read_text("utf-8"), re.DOTALL
    )
)


def run(name: str, namespace: dict[str, Any]) -> None:
    exec(compile(BLOCKS[name], f"<docs/reconciliation.md: {name}>", "exec"), namespace)


class CeleryStandIn:
    """What the block touches on a Celery app: ``@app.task(name=...)`` and the beat table."""

    def __init__(self) -> None:
        self.tasks: dict[str, Callable[..., Any]] = {}
        self.conf = SimpleNamespace(beat_schedule={})

    def task(self, *, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.tasks[name] = function
            return function

        return register


def test_the_guide_marks_the_blocks_we_run() -> None:
    assert set(BLOCKS) == {"record", "reconciler", "celery"}


def test_celery_is_not_installed_here() -> None:
    with pytest.raises(ImportError):
        import celery  # type: ignore[import-not-found]  # noqa: F401


def test_the_guide_runs_end_to_end_against_the_sandbox(
    ligdicash_sandbox: Sandbox, tmp_path: Path
) -> None:
    delivered: Counter[str] = Counter()
    app = CeleryStandIn()
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
        assert set(app.tasks) == {"shop.reconcile_payments"}
        assert app.conf.beat_schedule["reconcile-ligdicash"]["schedule"] == 60.0
        assert app.tasks["shop.reconcile_payments"]()["claimed"] == 0  # already settled
        assert delivered == Counter({"ORDER-42": 1})
        assert ligdicash_sandbox.callbacks() == []
    finally:
        if "client" in namespace:
            namespace["client"].close()
        if "store" in namespace:
            namespace["store"].close()
