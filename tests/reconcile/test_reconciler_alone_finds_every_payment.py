"""Proof: with callbacks disabled, the reconciler alone settles every payment exactly once,
on PostgreSQL, on Redis and on the Django ORM (on PostgreSQL).

120 sandbox payments created by a client recording into the store (this session's own
database or key prefix), with ``sandbox_callback: none`` so no callback ever arrives; 80
are completed and 40 cancelled in the sandbox. Two reconcile processes run at the same
time on the same store, with small batches so that their rounds interleave:
``ligdicash reconcile --store URL`` for PostgreSQL and Redis, ``manage.py
ligdicash_reconcile`` (the command, in a Django-configured process) for the ORM store.
Each payment's handler runs exactly once across both processes; a payment whose creation
answer was lost (sandbox fault ``drop_after`` on the create path) shows as ``in_doubt``,
not lost.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reconcile_helpers import pay
from store_helpers import REDIS_URL, drop_redis_prefix

import ligdicash
from ligdicash.sandbox import Sandbox

N_COMPLETED, N_CANCELLED = 80, 40
HERE = Path(__file__).parent

HANDLER = """
import os

def _write(kind, transaction):
    line = f"{os.getpid()} {kind} {transaction.custom_data['transaction_id']}\\n"
    fd = os.open(os.environ["HANDLED_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())  # one short O_APPEND write: lines never interleave
    finally:
        os.close(fd)

def completed(transaction):
    _write("completed", transaction)

def cancelled(transaction):
    _write("cancelled", transaction)

def lookup(callback):  # no callback ever arrives in this proof
    return None
"""

# A Django project in one file: the ORM store on this test's PostgreSQL database, the
# handlers above as LIGDICASH_CALLBACK_HANDLER / _ON_CANCELLED. Django is configured once
# per process, so everything Django runs in children of this test.
DJANGO_SHOP = """
import json, os, sys
from urllib.parse import urlsplit

import django
from django.conf import settings

url = urlsplit(os.environ["SHOP_PG_URL"])
settings.configure(
    INSTALLED_APPS=["ligdicash.contrib.django"],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"),
        "USER": url.username or "postgres", "PASSWORD": url.password or "",
        "HOST": url.hostname, "PORT": str(url.port or 5432),
    }},
    USE_TZ=True,
    LIGDICASH_API_KEY=os.environ["LIGDICASH_API_KEY"],
    LIGDICASH_AUTH_TOKEN=os.environ["LIGDICASH_AUTH_TOKEN"],
    LIGDICASH_BASE_URL=os.environ["LIGDICASH_BASE_URL"],
    LIGDICASH_MAX_RETRIES=0,
    LIGDICASH_TIMEOUT=5.0,
    LIGDICASH_CALLBACK_LOOKUP="proof_handlers.lookup",
    LIGDICASH_CALLBACK_HANDLER="proof_handlers.completed",
    LIGDICASH_CALLBACK_ON_CANCELLED="proof_handlers.cancelled",
)
django.setup()

import ligdicash
from django.core.management import call_command
from reconcile_helpers import pay

command, args = sys.argv[1], sys.argv[2:]
if command == "reconcile":
    call_command("ligdicash_reconcile", *args)
    sys.exit(0)
store = ligdicash.open_store("django://")
if command == "migrate":
    call_command("migrate", "ligdicash", verbosity=0)
elif command == "pay":
    with ligdicash.Client(max_retries=0, timeout=5.0, store=store) as client:
        tokens = {}
        for reference in args:
            try:
                tokens[reference] = pay(client, reference)
            except ligdicash.APIConnectionError:
                tokens[reference] = None
    print(json.dumps(tokens))
elif command == "counts":
    lost = store.get_payment(args[0]) if args else None
    print(json.dumps({
        "counts": store.payment_counts(),
        "lost": None if lost is None else [lost.status, lost.token],
    }))
"""

RECONCILE_OPTIONS = [
    "--schedule",
    "0,1",
    "--batch-size",
    "5",
    "--concurrency",
    "4",
    "--interval",
    "0.05",
    "--json",
]


class InProcessShop:
    """PostgreSQL or Redis: the store opened here, ``ligdicash reconcile`` processes."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env
        self.store = ligdicash.open_store(url)

    def pay(self, references: list[str]) -> dict[str, Any]:
        with ligdicash.Client(
            api_key=self.env["LIGDICASH_API_KEY"],
            auth_token=self.env["LIGDICASH_AUTH_TOKEN"],
            base_url=self.env["LIGDICASH_BASE_URL"],
            max_retries=0,
            timeout=5.0,
            store=self.store,
        ) as client:
            tokens: dict[str, Any] = {}
            for reference in references:
                try:
                    tokens[reference] = pay(client, reference)
                except ligdicash.APIConnectionError:
                    tokens[reference] = None
            return tokens

    def counts(self, lost: str = "") -> dict[str, Any]:
        record = self.store.get_payment(lost) if lost else None
        return {
            "counts": self.store.payment_counts(),
            "lost": None if record is None else [record.status, record.token],
        }

    def reconcile_command(self) -> list[str]:
        return [sys.executable, "-m", "ligdicash._cli", "reconcile", "--store", self.url]

    def close(self) -> None:
        self.store.close()


class DjangoShop:
    """The Django ORM store: every call in a Django-configured child process."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        (tmp_path / "django_shop.py").write_text(DJANGO_SHOP)
        self.script = str(tmp_path / "django_shop.py")
        self.tmp_path = tmp_path
        self.env = env
        self._run("migrate")

    def _run(self, *args: str) -> Any:
        done = subprocess.run(
            [sys.executable, self.script, *args],
            cwd=self.tmp_path,
            env=self.env,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return json.loads(done.stdout) if done.stdout.strip() else None

    def pay(self, references: list[str]) -> dict[str, Any]:
        return dict(self._run("pay", *references))

    def counts(self, lost: str = "") -> dict[str, Any]:
        return dict(self._run("counts", *([lost] if lost else [])))

    def reconcile_command(self) -> list[str]:
        return [sys.executable, self.script, "reconcile"]

    def close(self) -> None:
        pass


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A store URL under this test's own Redis key prefix, deleted afterwards."""
    prefix = f"ligdicash-reconcile-{secrets.token_hex(4)}:"
    yield f"{REDIS_URL}?prefix={prefix}"
    drop_redis_prefix(prefix)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql", "redis", "django"])
# One wire profile: the proof is about polling (no callback is sent), and its PostgreSQL
# database is the session's, where a second run's references would already be recorded.
@pytest.mark.parametrize("ligdicash_sandbox_server", ["documented"], indirect=True)
def test_two_reconciler_processes_handle_each_payment_exactly_once(
    backend: str,
    ligdicash_sandbox: Sandbox,
    reconcile_pg_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    sb = ligdicash_sandbox
    (tmp_path / "proof_handlers.py").write_text(HANDLER)
    handled = tmp_path / "handled.txt"
    env = {
        **os.environ,
        "LIGDICASH_API_KEY": sb.api_key,
        "LIGDICASH_AUTH_TOKEN": sb.auth_token,
        "LIGDICASH_BASE_URL": sb.base_url,
        "HANDLED_FILE": str(handled),
        "SHOP_PG_URL": reconcile_pg_url,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(tmp_path), str(HERE), os.environ.get("PYTHONPATH")) if p
        ),
    }
    shop: Any
    if backend == "django":
        shop = DjangoShop(tmp_path, env)
    elif backend == "redis":
        shop = InProcessShop(request.getfixturevalue("redis_url"), env)
    else:
        shop = InProcessShop(reconcile_pg_url, env)
    try:
        before = len(sb.transactions())  # the session's database is shared by the backends
        tokens = shop.pay([f"P-{i:03d}" for i in range(120)])
        assert None not in tokens.values(), [r for r, t in tokens.items() if t is None]
        sb.add_fault("drop_after", count=1, path="checkout-invoice/create")
        assert shop.pay(["LOST-1"]) == {"LOST-1": None}  # the creation's answer was lost
        for i, token in enumerate(tokens.values()):
            sb.set_status(token, "completed" if i < N_COMPLETED else "nocompleted")
        assert sb.callbacks() == []  # callbacks are disabled: only polling can find them
        recorded = shop.counts()["counts"]
        assert recorded == {"pending": 120, "in_doubt": 1}, recorded

        command = [*shop.reconcile_command(), *RECONCILE_OPTIONS]
        if backend != "django":
            command[-len(RECONCILE_OPTIONS) : -len(RECONCILE_OPTIONS)] = [
                "--handler",
                "proof_handlers:completed",
                "--on-cancelled",
                "proof_handlers:cancelled",
            ]
        logs = [(tmp_path / f"worker{n}.err").open("w") for n in range(2)]
        workers = [
            subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log) for log in logs
        ]
        try:
            _wait(
                lambda: (
                    "pending" not in shop.counts()["counts"]
                    or any(w.poll() is not None for w in workers)
                ),
                240,
                "every payment to be settled",
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            for log in logs:
                log.close()
        errors = [(tmp_path / f"worker{n}.err").read_text()[-3000:] for n in range(2)]
        final = shop.counts("LOST-1")
        assert "pending" not in final["counts"], errors

        lines = [line.split() for line in handled.read_text().splitlines()]
        per_payment = Counter(ref for _, _, ref in lines)
        assert set(per_payment) == set(tokens), (set(tokens) - set(per_payment), errors)
        assert set(per_payment.values()) == {1}, (
            [r for r, n in per_payment.items() if n > 1],
            errors,
        )
        kinds = Counter(kind for _, kind, _ in lines)
        assert kinds == Counter(completed=N_COMPLETED, cancelled=N_CANCELLED)
        assert final["counts"] == {
            "completed": N_COMPLETED,
            "cancelled": N_CANCELLED,
            "in_doubt": 1,
        }, (final, errors)
        assert final["lost"] == ["in_doubt", None]
        assert len(sb.transactions()) == before + 121  # the lost one did land
        print(f"handled per process: {dict(Counter(pid for pid, _, _ in lines))}")
    finally:
        shop.close()
