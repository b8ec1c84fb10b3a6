"""The durable inbox: 200 means "stored"; what a dead or failing worker left is swept.

The processor-level tests use the scriptable LigdiCash server (``fake``) for the status
call and real stores (memory, SQLite, a Redis that is not there); the endpoint tests run
each framework's integration in-process (the status code is what matters here; the
end-to-end runs over real servers are in ``test_callback_endpoints.py`` and
``tests/durable/``).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import pytest
from test_callback_endpoints import (
    serve_asgi_uvicorn,
    serve_wsgi_django,
    serve_wsgi_werkzeug,
    setup_django,
)

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash
from ligdicash import open_store
from ligdicash._stores import MemoryStore, Store, inbox_digest
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction, ProcessResult

ORDER = "ORD-20240512"
EXPECTED = ExpectedTransaction(token=LONG_TOKEN, amount=31500, transaction_id=ORDER)
WAIT = 20.0
JSON_BODY = json.dumps(
    {
        "token": "cb-token",
        "status": "completed",
        "amount": 31500,
        "custom_data": {"transaction_id": ORDER},
    }
).encode()
JSON = "application/json"


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Shop:
    def __init__(self) -> None:
        self.delivered: list[ligdicash.Transaction] = []
        self.keys: list[str] = []
        self.results: list[ProcessResult] = []

    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return EXPECTED if callback.order_id == ORDER else None

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        self.delivered.append(transaction)


def processor(
    fake: FakeLigdicash, shop: Shop, store: Store, **options: Any
) -> Iterator[CallbackProcessor]:
    client = ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
    )
    options.setdefault("handler", shop.deliver)
    yield CallbackProcessor(
        lookup=shop.lookup, client=client, store=store, on_result=shop.results.append, **options
    )
    client.close()


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'callbacks.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def proc(fake: FakeLigdicash, shop: Shop, store: Store) -> Iterator[CallbackProcessor]:
    yield from processor(fake, shop, store, lease_seconds=0.6)


# -- the processor ------------------------------------------------------------------------------
def test_accept_keeps_the_callback_and_process_inbox_finishes_it(
    proc: CallbackProcessor, store: Store, shop: Shop
) -> None:
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    assert store.inbox_get(entry.digest) is not None
    result = proc.process_inbox(entry.digest)
    assert (result.outcome, len(shop.delivered)) == ("processed", 1)
    done = store.inbox_get(entry.digest)
    assert done is not None
    assert (done.state, done.outcome) == ("done", "processed")
    # The same bytes again (a replay) are the same entry, already done: a duplicate.
    again = proc.accept(JSON_BODY, JSON)
    assert again is not None
    assert proc.process_inbox(again.digest).outcome == "duplicate"
    assert len(shop.delivered) == 1


def test_garbage_is_refused_before_storage(proc: CallbackProcessor, store: Store) -> None:
    assert proc.accept(b"\xff\xfe not a callback", JSON) is None
    assert store.inbox_counts() == {"pending": 0, "processing": 0, "done": 0}


def test_the_sweeper_finishes_a_callback_whose_worker_died_after_the_200(
    proc: CallbackProcessor, store: Store, shop: Shop
) -> None:
    entry = proc.accept(JSON_BODY, JSON)  # the endpoint stored it, answered 200, and died
    assert entry is not None
    assert shop.delivered == []
    assert proc.sweep() == 1
    assert len(shop.delivered) == 1
    assert proc.sweep() == 0
    assert store.inbox_counts()["done"] == 1


def test_a_worker_killed_mid_way_is_taken_over_once_its_short_leases_lapse(
    proc: CallbackProcessor, store: Store, shop: Shop
) -> None:
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    # The dead worker leased the entry and claimed the event, then died: nobody renews.
    store.inbox_claim(entry.digest, lease_seconds=0.6)
    dead = store.claim(f"payin:{inbox_key()}:completed", lease_seconds=0.6)
    assert dead.acquired
    assert proc.sweep() == 0  # its leases are live for a moment
    wait_until(proc.sweep, "the sweeper to take the entry over")
    assert len(shop.delivered) == 1
    assert store.get(dead.key) is not None
    assert store.get(dead.key).state == "done"  # type: ignore[union-attr]


def inbox_key() -> str:
    import hashlib

    return hashlib.sha256(LONG_TOKEN.encode()).hexdigest()[:40]


def test_an_unconfirmed_callback_stays_in_the_inbox_until_a_sweep_confirms_it(
    fake: FakeLigdicash, proc: CallbackProcessor, store: Store, shop: Shop
) -> None:
    fake.push_json({"error": "down"}, status=503)  # the first status call fails
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    first = proc.process_inbox(entry.digest)
    assert first.outcome == "unconfirmed"
    left = store.inbox_get(entry.digest)
    assert left is not None
    assert left.state != "done"
    wait_until(proc.sweep, "a sweep once the lease lapsed")
    assert len(shop.delivered) == 1
    finished = store.inbox_get(entry.digest)
    assert finished is not None
    assert finished.state == "done"


def test_an_entry_that_keeps_failing_is_given_up_with_an_error(
    fake: FakeLigdicash, shop: Shop, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(transaction: ligdicash.Transaction) -> None:
        raise RuntimeError("the order database is down")

    for proc in processor(fake, shop, store, handler=broken, lease_seconds=0.3, max_attempts=2):
        entry = proc.accept(JSON_BODY, JSON)
        assert entry is not None
        assert proc.process_inbox(entry.digest).outcome == "failed"
        with caplog.at_level(logging.ERROR, logger="ligdicash.callbacks"):
            wait_until(proc.sweep, "the second attempt")
        gone = store.inbox_get(entry.digest)
        assert gone is not None
        assert (gone.state, gone.outcome) == ("done", "gave_up:failed:handler_error")
        assert any("given up after 2 attempts" in r.getMessage() for r in caplog.records)


def test_a_handler_that_takes_event_key_gets_the_events_stable_key(
    fake: FakeLigdicash, shop: Shop, store: Store
) -> None:
    def deliver(transaction: ligdicash.Transaction, *, event_key: str) -> None:
        shop.keys.append(event_key)

    for proc in processor(fake, shop, store, handler=deliver):
        entry = proc.accept(JSON_BODY, JSON)
        assert entry is not None
        result = proc.process_inbox(entry.digest)
    assert result.outcome == "processed"
    assert shop.keys == [result.key]
    assert shop.keys[0] == f"payin:{inbox_key()}:completed"


# -- the endpoints --------------------------------------------------------------------------------
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def poster(root: str, path: str) -> Callable[[bytes, str], int]:
    def post(body: bytes, content_type: str) -> int:
        answer = httpx.post(
            root + path, content=body, headers={"content-type": content_type}, timeout=WAIT
        )
        return answer.status_code

    return post


@contextmanager
def flask_post(proc: CallbackProcessor) -> Iterator[Callable[[bytes, str], int]]:
    from flask import Flask

    from ligdicash.contrib.flask import make_blueprint

    app = Flask(__name__)
    blueprint = make_blueprint(proc, sweep_interval=None)
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    with serve_wsgi_werkzeug(app) as root:
        yield poster(root, "/ligdicash/callback")
    blueprint.ligdicash_runner.shutdown()


@contextmanager
def fastapi_post(proc: CallbackProcessor) -> Iterator[Callable[[bytes, str], int]]:
    from fastapi import FastAPI

    from ligdicash.contrib.fastapi import make_router

    app = FastAPI()
    app.include_router(make_router(proc, sweep_interval=None), prefix="/ligdicash")
    with serve_asgi_uvicorn(app) as root:
        yield poster(root, "/ligdicash/callback")


def django_lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    return None


@contextmanager
def django_post(proc: CallbackProcessor) -> Iterator[Callable[[bytes, str], int]]:
    from django.test import override_settings

    setup_django()
    from django.core.wsgi import get_wsgi_application

    from ligdicash.contrib import django as ligdicash_django

    overrides = override_settings(
        LIGDICASH_API_KEY=API_KEY,
        LIGDICASH_AUTH_TOKEN=AUTH_TOKEN,
        LIGDICASH_CALLBACK_LOOKUP=f"{__name__}.django_lookup",
        LIGDICASH_IDEMPOTENCY_STORE=proc.store,
        LIGDICASH_CALLBACK_SWEEP_INTERVAL=None,
    )
    with overrides, serve_wsgi_django(get_wsgi_application()) as root:
        yield poster(root, "/ligdicash/callback/")
    ligdicash_django.reset()


POSTERS = {"flask": flask_post, "fastapi": fastapi_post, "django": django_post}


@pytest.mark.parametrize("framework", list(POSTERS))
def test_an_endpoint_answers_503_and_logs_an_error_when_the_store_cannot_keep_it(
    framework: str, fake: FakeLigdicash, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = open_store(f"redis://127.0.0.1:{closed_port()}/0")
    for proc in processor(fake, shop, unreachable):
        with POSTERS[framework](proc) as post, caplog.at_level(logging.ERROR):
            assert post(JSON_BODY, JSON) == 503
    # Only this test's ERROR: a callback an earlier test's background pool is still
    # finishing may log a WARNING on the same logger meanwhile.
    errors = [
        r for r in caplog.records if r.name == "ligdicash.callbacks" and r.levelno >= logging.ERROR
    ]
    [error] = errors
    assert error.levelno == logging.ERROR
    assert "NOT stored, answered 503" in error.getMessage()
    assert shop.delivered == []


class KeepingStore(MemoryStore):
    """A memory store that remembers every body it kept: a refused callback is discarded
    once processed (issue 17 item 7), possibly before the test looks."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[str] = []

    def inbox_put(self, body: bytes, content_type: str, **options: Any) -> Any:
        entry = super().inbox_put(body, content_type, **options)
        self.kept.append(entry.digest)
        return entry


@pytest.mark.parametrize("framework", list(POSTERS))
def test_an_endpoint_answers_200_only_once_the_callback_is_in_the_inbox(
    framework: str, fake: FakeLigdicash, shop: Shop
) -> None:
    store = KeepingStore()
    for proc in processor(fake, shop, store):
        with POSTERS[framework](proc) as post:
            assert post(JSON_BODY, JSON) == 200
            assert store.kept == [inbox_digest(JSON_BODY, JSON)]
            assert post(b"garbage", JSON) == 200  # unreadable: answered, not stored
            assert store.kept == [inbox_digest(JSON_BODY, JSON)]


@contextmanager
def flask_sweeping(proc: CallbackProcessor) -> Iterator[str]:
    from flask import Flask

    from ligdicash.contrib.flask import make_blueprint

    app = Flask(__name__)
    blueprint = make_blueprint(proc, sweep_interval=0.1)
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    with serve_wsgi_werkzeug(app) as root:
        yield root + "/ligdicash/callback"
    for sweeper in blueprint.ligdicash_sweepers:
        sweeper.stop(WAIT)


@contextmanager
def fastapi_sweeping(proc: CallbackProcessor) -> Iterator[str]:
    from fastapi import FastAPI

    from ligdicash.contrib.fastapi import make_router

    app = FastAPI()
    app.include_router(make_router(proc, sweep_interval=0.1), prefix="/ligdicash")
    with serve_asgi_uvicorn(app) as root:
        yield root + "/ligdicash/callback"


@contextmanager
def django_sweeping(proc: CallbackProcessor) -> Iterator[str]:
    from django.test import override_settings

    setup_django()
    from django.core.wsgi import get_wsgi_application

    from ligdicash.contrib import django as ligdicash_django

    overrides = override_settings(
        LIGDICASH_API_KEY=API_KEY,
        LIGDICASH_AUTH_TOKEN=AUTH_TOKEN,
        LIGDICASH_BASE_URL=proc.client.base_url if proc.client else None,
        LIGDICASH_MAX_RETRIES=0,
        LIGDICASH_CALLBACK_LOOKUP=f"{__name__}.django_shop_lookup",
        LIGDICASH_CALLBACK_HANDLER=f"{__name__}.django_shop_deliver",
        LIGDICASH_IDEMPOTENCY_STORE=proc.store,
        LIGDICASH_CALLBACK_SWEEP_INTERVAL=0.1,
    )
    with overrides, serve_wsgi_django(get_wsgi_application()) as root:
        url = root + "/ligdicash/callback/"
        assert httpx.get(url, timeout=WAIT).status_code == 405  # any request starts it
        yield url
    ligdicash_django.reset()


_django_shop = Shop()


def django_shop_lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    return _django_shop.lookup(callback)


def django_shop_deliver(transaction: ligdicash.Transaction) -> None:
    _django_shop.deliver(transaction)


SWEEPING = {"flask": flask_sweeping, "fastapi": fastapi_sweeping, "django": django_sweeping}


@pytest.mark.parametrize("framework", list(SWEEPING))
def test_each_integration_sweeps_what_a_dead_worker_left_without_any_new_callback(
    framework: str, fake: FakeLigdicash, shop: Shop
) -> None:
    global _django_shop
    _django_shop = shop
    store = MemoryStore()
    store.inbox_put(JSON_BODY, JSON)  # a worker stored it, answered 200 and died
    for proc in processor(fake, shop, store):
        with SWEEPING[framework](proc):
            wait_until(lambda: store.inbox_counts()["done"] == 1, "the sweeper")
    assert len(shop.delivered) == 1


def test_the_default_store_comes_from_LIGDICASH_STORE_URL(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shop: Shop
) -> None:
    monkeypatch.setenv("LIGDICASH_STORE_URL", "memory://")
    from_env = CallbackProcessor(lookup=shop.lookup, handler=shop.deliver)
    assert isinstance(from_env.store, MemoryStore)
    monkeypatch.delenv("LIGDICASH_STORE_URL")
    monkeypatch.chdir(tmp_path)
    default = CallbackProcessor(lookup=shop.lookup, handler=shop.deliver)
    assert default.inbox is not None
    path = Path(getattr(default.store, "path", "")).resolve()
    assert path == (tmp_path / "ligdicash-callbacks.sqlite3").resolve()  # one machine: SQLite
    default.store.close()
