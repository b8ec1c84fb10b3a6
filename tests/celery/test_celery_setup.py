"""The Celery integration without a worker: the tasks it registers, the beat schedule,
what it refuses, the resources built once per process, and a task run in-process
(``Task.apply``) against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from celery import Celery
from ligdicash import ConfigurationError, InvalidRequestError
from ligdicash.contrib import CallbackProcessor
from ligdicash.contrib.celery import LigdicashTasks, Resources, _resources, resources_from_settings
from ligdicash.contrib.celery._resources import PerProcess
from ligdicash.sandbox import CallbackReceiver, Sandbox


@pytest.fixture
def app() -> Iterator[Celery]:
    made = Celery("shop", broker="memory://", set_as_current=False)
    yield made
    made.close()


@pytest.fixture
def sb_client(ligdicash_sandbox: Sandbox) -> Iterator[ligdicash.Client]:
    sb = ligdicash_sandbox
    with ligdicash.Client(
        api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url
    ) as client:
        yield client


def test_the_tasks_are_registered_under_the_prefix_with_acks_late(app: Celery) -> None:
    tasks = LigdicashTasks(app, prefix="shop.ligdicash", queue="money")
    names = {"reconcile", "sweep_inbox", "process_callback", "work_on_batch"}
    for name in names:
        task = app.tasks[f"shop.ligdicash.{name}"]
        assert getattr(tasks, name).name == task.name
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert app.amqp.router.route({}, task.name)["queue"].name == "money"


def test_the_beat_schedule_ticks_expire_after_their_period(app: Celery) -> None:
    tasks = LigdicashTasks(app, queue="money")
    schedule = tasks.beat_schedule(reconcile_every=60, sweep_every=15)
    assert schedule == {
        "ligdicash-reconcile": {
            "task": "ligdicash.reconcile",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        "ligdicash-sweep-inbox": {
            "task": "ligdicash.sweep_inbox",
            "schedule": 15.0,
            "options": {"expires": 15.0},
        },
    }
    assert set(tasks.beat_schedule(sweep_every=None)) == {"ligdicash-reconcile"}
    for bad in (0, -1, True):
        with pytest.raises(InvalidRequestError):
            tasks.beat_schedule(reconcile_every=bad)


def test_bad_options_are_refused_before_anything_is_queued(app: Celery) -> None:
    with pytest.raises(InvalidRequestError):
        LigdicashTasks(app, time_budget=0)
    tasks = LigdicashTasks(app)
    for bad in (0, -2, True, 1.5):
        with pytest.raises(InvalidRequestError):
            tasks.start_batch("b", copies=bad)
    with pytest.raises(InvalidRequestError, match="unknown work_on_batch option\\(s\\) inflight"):
        tasks.start_batch("b", copies=2, inflight=8)


def test_a_task_without_what_it_needs_names_it(app: Celery, sb_client: Any) -> None:
    tasks = LigdicashTasks(app, lambda: Resources(client=sb_client))
    with pytest.raises(ConfigurationError, match="reconcile task needs Resources\\(store="):
        tasks.reconcile.apply(throw=True)
    with pytest.raises(ConfigurationError, match="sweep_inbox task needs Resources\\(proc"):
        tasks.sweep_inbox.apply(throw=True)
    with pytest.raises(ConfigurationError, match="work_on_batch task needs Resources\\(led"):
        tasks.work_on_batch.apply(args=("b",), throw=True)


def test_a_factory_that_returns_something_else_is_refused(app: Celery) -> None:
    tasks = LigdicashTasks(app, lambda: "not resources")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match="returned str, not Resources"):
        tasks.sweep_inbox.apply(throw=True)


class Closable:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_resources_are_built_once_per_process_and_anew_after_a_fork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[Resources] = []

    def factory() -> Resources:
        built.append(Resources(client=Closable()))  # type: ignore[arg-type]
        return built[-1]

    holder = PerProcess(factory)
    parent = holder.get()
    assert holder.get() is parent
    # What a prefork child sees: the parent's holder, under another process id.
    child_pid = os.getpid() + 1
    monkeypatch.setattr(_resources.os, "getpid", lambda: child_pid)
    child = holder.get()
    assert child is not parent
    assert holder.get() is child
    holder.close()
    assert (parent.client.closed, child.client.closed) == (0, 1)  # the parent's left alone
    holder.close()  # twice: nothing more
    assert child.client.closed == 1


def test_the_default_factory_reads_the_app_settings(
    app: Celery, ligdicash_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = ligdicash_sandbox
    for name, value in (("API_KEY", sb.api_key), ("AUTH_TOKEN", sb.auth_token)):
        monkeypatch.setenv(f"LIGDICASH_{name}", value)
    monkeypatch.setenv("LIGDICASH_BASE_URL", sb.base_url)
    monkeypatch.delenv("LIGDICASH_STORE_URL", raising=False)
    app.conf.ligdicash_handler = "os.path:basename"
    with pytest.raises(ConfigurationError, match="needs Resources\\(store="):
        resources_from_settings(app.conf)
    app.conf.ligdicash_store_url = f"sqlite:///{tmp_path / 'shop.db'}"
    app.conf.ligdicash_payouts_store = f"sqlite:///{tmp_path / 'ledger.db'}"
    res = resources_from_settings(app.conf)
    try:
        assert res.processor is not None
        assert res.processor.store is res.store
        assert res.ledger is not None
        assert res.client.base_url == sb.base_url
    finally:
        res.close()
    app.conf.ligdicash_handler = "no_such_module_here:f"
    with pytest.raises(ConfigurationError, match="cannot import handler"):
        resources_from_settings(app.conf)


def test_process_callback_runs_the_handler_once_per_payment(
    app: Celery, ligdicash_sandbox: Sandbox, sb_client: Any, tmp_path: Path
) -> None:
    sb = ligdicash_sandbox
    store = ligdicash.open_store(f"sqlite:///{tmp_path / 'shop.db'}")
    handled: list[str] = []
    client = ligdicash.Client(
        api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, store=store
    )
    processor = CallbackProcessor(
        lookup=ligdicash.registry_lookup(store),
        handler=lambda tx: handled.append(tx.custom_data["transaction_id"]),
        client=client,
        store=store,
    )
    tasks = LigdicashTasks(app, lambda: Resources(client=client, store=store, processor=processor))
    try:
        with CallbackReceiver() as rx:
            invoice = client.Invoice(currency="xof", description="Order")
            invoice.add_item(name="Shirt", description="M", quantity=1, unit_price=3000)
            response = invoice.pay_with_redirection(
                return_url="http://127.0.0.1:9/ok",
                callback_url=rx.callback_url,
                custom_data={"transaction_id": "CEL-ONE"},
            )
            sb.set_status(str(response.token), "completed")
            copies = rx.wait_for(2)  # the sandbox delivers it twice (form and JSON)
        digests = []
        for copy in copies:
            entry = processor.accept(copy.body.encode(), copy.content_type)
            assert entry is not None
            digests.append(entry.digest)
        outcomes = [tasks.process_callback.apply(args=(d,)).get() for d in digests]
        assert [o["outcome"] for o in outcomes] == ["processed", "duplicate"]
        assert handled == ["CEL-ONE"]
        assert tasks.sweep_inbox.apply().get() == 0  # nothing left unfinished
    finally:
        client.close()
        store.close()


def test_without_celery_the_module_says_how_to_install_it() -> None:
    code = "import sys\nsys.modules['celery'] = None\nimport ligdicash.contrib.celery\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'ligdicash[celery]'" in out.stderr.strip().splitlines()[-1]
