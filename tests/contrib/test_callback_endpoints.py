"""End to end: the sandbox's real double callbacks reach a real app of each framework.

Each framework's app runs in a real server on loopback (Django's threaded test server,
Flask under werkzeug's server, FastAPI under uvicorn), wired to the sandbox with the
integration a user would write. Every scenario runs against all three.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import types
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import pytest

import ligdicash
from ligdicash._callbacks import callback_hash
from ligdicash.contrib import (
    CallbackProcessor,
    ExpectedTransaction,
    ProcessResult,
    SQLiteIdempotencyStore,
)
from ligdicash.sandbox import Sandbox

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
WAIT = 30.0  # a deadline for conditions under load, never a sleep
STATUS_TIMEOUT = 1.0  # the apps' status-call timeout; the latency fault exceeds it


class Shop:
    """The integrator's side: orders stored at creation, deliveries, and what happened."""

    def __init__(self) -> None:
        self.orders: dict[str, ExpectedTransaction] = {}
        self.delivered: list[ligdicash.Transaction] = []
        self.results: list[ProcessResult] = []
        self._changed = threading.Condition()

    def reset(self) -> None:
        with self._changed:
            self.orders.clear()
            self.delivered.clear()
            self.results.clear()

    # -- what the user plugs into the integrations --------------------------------------
    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return self.orders.get(callback.order_id)

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        with self._changed:
            self.delivered.append(transaction)
            self._changed.notify_all()

    def record(self, result: ProcessResult) -> None:
        with self._changed:
            self.results.append(result)
            self._changed.notify_all()

    # -- what the tests look at ---------------------------------------------------------
    def wait_for_results(self, n: int) -> list[ProcessResult]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.results) >= n, timeout=WAIT):
                raise AssertionError(f"{len(self.results)} of {n} callbacks processed")
            return list(self.results)


@dataclass
class RunningApp:
    framework: str
    url: str  # the callback endpoint
    shop: Shop
    sandbox: Sandbox
    store_path: Path
    # Waits for the callbacks the app is still processing after answering 200 (the previous
    # test's second copy, say), so they cannot land in the next test's results.
    drain: Callable[[], None] = lambda: None

    def pay(self, amount: int = 31500, order_amount: Optional[int] = None) -> tuple[str, str]:
        """Create a hosted payin in the sandbox, store the order; returns (order_id, token)."""
        order_id = f"ORD-{uuid.uuid4().hex[:10]}"
        with ligdicash.Client(
            api_key=self.sandbox.api_key,
            auth_token=self.sandbox.auth_token,
            base_url=self.sandbox.base_url,
        ) as client:
            invoice = client.Invoice(description=f"Order {order_id}")
            invoice.add_item(name="Kente shirt", description="", quantity=1, unit_price=amount)
            response = invoice.pay_with_redirection(
                callback_url=self.url, custom_data={"transaction_id": order_id}
            )
        self.shop.orders[order_id] = ExpectedTransaction(
            token=response.token,
            amount=amount if order_amount is None else order_amount,
            transaction_id=order_id,
        )
        return order_id, response.token


# -- servers --------------------------------------------------------------------------------
def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def serve_wsgi_werkzeug(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_wsgi_django(app: Any) -> Iterator[str]:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_asgi_uvicorn(app: Any) -> Iterator[str]:
    import uvicorn

    sock = _free_socket()
    config = uvicorn.Config(
        app, lifespan="auto", log_config=None, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:  # uvicorn offers no event to wait on
        assert thread.is_alive(), "uvicorn failed to start"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(WAIT)
        sock.close()


# -- the three apps, written as a user would ------------------------------------------------
@contextmanager
def flask_app(
    sandbox: Sandbox, shop: Shop, store_path: Path, verify_hash: bool = True
) -> Iterator[RunningApp]:
    from flask import Flask

    from ligdicash.contrib.flask import make_blueprint

    client = ligdicash.Client(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        timeout=STATUS_TIMEOUT,
        max_retries=0,
    )
    processor = CallbackProcessor(
        lookup=shop.lookup,
        handler=shop.deliver,
        client=client,
        store=SQLiteIdempotencyStore(store_path),
        verify_hash=verify_hash,
        on_result=shop.record,
    )
    app = Flask(__name__)
    blueprint = make_blueprint(processor)
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    with serve_wsgi_werkzeug(app) as root:
        yield RunningApp(
            "flask",
            root + "/ligdicash/callback",
            shop,
            sandbox,
            store_path,
            drain=blueprint.ligdicash_runner.shutdown,
        )
    blueprint.ligdicash_runner.shutdown()
    processor.store.close()
    client.close()


@contextmanager
def fastapi_app(
    sandbox: Sandbox, shop: Shop, store_path: Path, verify_hash: bool = True
) -> Iterator[RunningApp]:
    from fastapi import FastAPI

    from ligdicash.contrib.fastapi import make_router

    client = ligdicash.AsyncClient(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        timeout=STATUS_TIMEOUT,
        max_retries=0,
    )

    async def deliver(transaction: ligdicash.Transaction) -> None:
        shop.deliver(transaction)

    processor = CallbackProcessor(
        lookup=shop.lookup,
        handler=deliver,
        client=client,
        store=SQLiteIdempotencyStore(store_path),
        verify_hash=verify_hash,
        on_result=shop.record,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(make_router(processor), prefix="/ligdicash")
    with serve_asgi_uvicorn(app) as root:
        yield RunningApp("fastapi", root + "/ligdicash/callback", shop, sandbox, store_path)
    processor.store.close()


_django_shop: Optional[Shop] = None


def django_lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    assert _django_shop is not None
    return _django_shop.lookup(callback)


def setup_django() -> None:
    """Configure Django once per test process: the integration's URLs under /ligdicash/."""
    import django
    from django.conf import settings
    from django.urls import include, path

    if not settings.configured:
        urls = types.ModuleType("ligdicash_test_urls")
        urls.urlpatterns = [  # type: ignore[attr-defined]
            path("ligdicash/", include("ligdicash.contrib.django.urls"))
        ]
        sys.modules[urls.__name__] = urls
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests-only",
            ALLOWED_HOSTS=["127.0.0.1"],
            INSTALLED_APPS=[],
            DATABASES={},
            MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
            ROOT_URLCONF=urls.__name__,
        )
        django.setup()


@contextmanager
def django_app(
    sandbox: Sandbox, shop: Shop, store_path: Path, verify_hash: bool = True
) -> Iterator[RunningApp]:
    global _django_shop
    from django.test import override_settings

    setup_django()
    from django.core.wsgi import get_wsgi_application

    from ligdicash.contrib import django as ligdicash_django

    _django_shop = shop

    def receiver(sender: Any, transaction: ligdicash.Transaction, **kwargs: Any) -> None:
        shop.deliver(transaction)

    def processed(sender: Any, result: ProcessResult, **kwargs: Any) -> None:
        shop.record(result)

    ligdicash_django.transaction_confirmed.connect(receiver, weak=False)
    ligdicash_django.callback_processed.connect(processed, weak=False)
    overrides = override_settings(
        LIGDICASH_API_KEY=sandbox.api_key,
        LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
        LIGDICASH_BASE_URL=sandbox.base_url,
        LIGDICASH_TIMEOUT=STATUS_TIMEOUT,
        LIGDICASH_MAX_RETRIES=0,
        LIGDICASH_CALLBACK_LOOKUP=f"{__name__}.django_lookup",
        LIGDICASH_IDEMPOTENCY_DB=str(store_path),
        LIGDICASH_VERIFY_CALLBACK_HASH=verify_hash,
    )

    def drain() -> None:
        runner = ligdicash_django._runner
        if runner is not None:
            runner.shutdown(wait=True)  # the next callback starts a new pool

    with overrides, serve_wsgi_django(get_wsgi_application()) as root:
        yield RunningApp(
            "django", root + "/ligdicash/callback/", shop, sandbox, store_path, drain=drain
        )
    ligdicash_django.transaction_confirmed.disconnect(receiver)
    ligdicash_django.callback_processed.disconnect(processed)
    ligdicash_django.reset()


APPS = {"django": django_app, "flask": flask_app, "fastapi": fastapi_app}


@pytest.fixture(scope="module", params=list(APPS))
def running(
    request: pytest.FixtureRequest,
    ligdicash_sandbox_server: Sandbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningApp]:
    sandbox = ligdicash_sandbox_server
    shop = Shop()
    store_path = tmp_path_factory.mktemp(request.param) / "ligdicash-callbacks.sqlite3"
    with APPS[request.param](sandbox, shop, store_path) as running_app:
        yield running_app


@pytest.fixture
def app(running: RunningApp) -> RunningApp:
    running.sandbox.reset()
    running.drain()
    running.shop.reset()
    return running


def post(url: str, body: bytes, content_type: str) -> httpx.Response:
    return httpx.post(url, content=body, headers={"content-type": content_type}, timeout=WAIT)


def forged_fields(app: RunningApp, order_id: str, **changes: Any) -> dict[str, Any]:
    """A callback as an attacker would write it; the hash is made with the real keys
    (as if they had leaked) unless the case is about the hash."""
    token = changes.pop("token", "forged-" + uuid.uuid4().hex)
    fields: dict[str, Any] = {
        "token": token,
        "status": "completed",
        "response_code": "00",
        "amount": 31500,
        "customer": "22670123456",
        "custom_data[transaction_id]": order_id,
        "hash": callback_hash(app.sandbox.api_key, token, app.sandbox.auth_token),
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def form(fields: dict[str, Any]) -> bytes:
    return httpx.QueryParams(fields).__str__().encode()


# -- genuine payments -------------------------------------------------------------------------
def test_a_payment_runs_the_handler_exactly_once_after_confirmation(app: RunningApp) -> None:
    order_id, token = app.pay()
    app.sandbox.set_status(token, "completed")
    results = app.shop.wait_for_results(2)
    assert sorted(r.outcome for r in results) == ["duplicate", "processed"]
    [delivered] = app.shop.delivered
    # The handler got the status call's answer (it carries the creation token, which no
    # callback ever does), for this order and amount.
    assert delivered.token == token
    assert (delivered.amount, delivered.custom_data["transaction_id"]) == (31500, order_id)
    # The sandbox logs a delivery once our answer reached it, which may be after we have
    # processed both copies: wait for that condition, not for the first log line.
    log = app.sandbox.wait_for_callbacks(2, timeout=WAIT, token=token)
    assert sorted(e["content_type"] for e in log) == [JSON, FORM]
    assert all(e["response_status"] == 200 for e in log)
    assert all(e["callback_token"] != token for e in log)


def test_several_payments_each_run_once(app: RunningApp) -> None:
    tokens = [app.pay()[1] for _ in range(3)]
    for token in tokens:
        app.sandbox.set_status(token, "completed")
    app.shop.wait_for_results(6)
    assert sorted(t.token for t in app.shop.delivered) == sorted(tokens)


def test_a_cancelled_payment_delivers_nothing(app: RunningApp) -> None:
    _, token = app.pay()
    app.sandbox.set_status(token, "nocompleted")
    results = app.shop.wait_for_results(2)
    assert sorted(r.outcome for r in results) == ["duplicate", "processed"]
    assert {r.reason for r in results} == {"cancelled", "done"}
    assert app.shop.delivered == []


def test_real_callbacks_for_less_money_than_the_order_deliver_nothing(app: RunningApp) -> None:
    _, token = app.pay(amount=20, order_amount=31500)
    app.sandbox.set_status(token, "completed")
    results = app.shop.wait_for_results(2)
    assert [(r.outcome, r.reason) for r in results] == [("refused", "mismatch:amount")] * 2
    assert app.shop.delivered == []


# -- forged callbacks -------------------------------------------------------------------------
# (build the forged form fields, settle the real order first?, expected refusal reason)
FORGERIES: dict[str, tuple[Callable[[RunningApp, str], dict[str, Any]], bool, str]] = {
    "unknown order": (
        lambda app, order: forged_fields(app, "ORD-NOT-OURS"),
        False,
        "unknown_transaction",
    ),
    "unknown token claiming a pending order is paid": (
        lambda app, order: forged_fields(app, order),
        False,
        "mismatch:status",
    ),
    "wrong amount": (
        lambda app, order: forged_fields(app, order, amount=20),
        True,
        "mismatch:amount",
    ),
    "tampered custom_data": (
        lambda app, order: forged_fields(app, order, **{"custom_data[vip]": "1"}),
        True,
        "mismatch:custom_data",
    ),
    "claims cancelled while paid": (
        lambda app, order: forged_fields(app, order, status="nocompleted"),
        True,
        "mismatch:status",
    ),
    "bad hash": (
        lambda app, order: forged_fields(app, order, hash="0" * 64),
        True,
        "invalid_hash",
    ),
    "no hash": (lambda app, order: forged_fields(app, order, hash=None), True, "missing_hash"),
    "garbage": (lambda app, order: {"<html>": "502"}, True, "invalid_callback"),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_a_forged_callback_gets_a_plain_200_and_runs_nothing(app: RunningApp, case: str) -> None:
    order_id, token = app.pay()
    build, settle, reason = FORGERIES[case]
    if settle:  # really paid, but LigdiCash's own callbacks have not arrived (yet)
        app.sandbox.set_mode(token, callback="none")
        app.sandbox.set_status(token, "completed")
    response = post(app.url, form(build(app, order_id)), FORM)
    assert (response.status_code, response.content) == (200, b"")
    [result] = app.shop.wait_for_results(1)
    assert (result.outcome, result.reason) == ("refused", reason)
    assert app.shop.delivered == []
    if settle:  # the forgery spoiled nothing: polling still processes the payment once
        assert reconcile(app, app.shop.orders[order_id]).outcome == "processed"
        assert [t.token for t in app.shop.delivered] == [token]


def test_a_replayed_genuine_callback_is_a_duplicate(app: RunningApp) -> None:
    _, token = app.pay()
    app.sandbox.set_status(token, "completed")
    app.shop.wait_for_results(2)
    [entry, *_] = app.sandbox.wait_for_callbacks(2, timeout=WAIT, token=token)
    post(app.url, entry["body"].encode(), entry["content_type"])
    results = app.shop.wait_for_results(3)
    assert results[-1].outcome == "duplicate"
    assert len(app.shop.delivered) == 1


def test_only_post_is_accepted(app: RunningApp) -> None:
    response = httpx.get(app.url, timeout=WAIT)
    assert response.status_code == 405


# -- a status call that times out -----------------------------------------------------------------
def test_when_one_status_call_times_out_the_other_copy_confirms_and_runs_once(
    app: RunningApp,
) -> None:
    _, token = app.pay()
    app.sandbox.add_fault("latency", count=1, path="confirm", latency_ms=2500)
    app.sandbox.set_status(token, "completed")
    results = app.shop.wait_for_results(2)
    assert sorted(r.outcome for r in results) == ["processed", "unconfirmed"]
    assert [t.token for t in app.shop.delivered] == [token]


def test_when_both_status_calls_time_out_polling_processes_the_payment_once(
    app: RunningApp,
) -> None:
    order_id, token = app.pay()
    app.sandbox.add_fault("latency", count=2, path="confirm", latency_ms=2500)
    app.sandbox.set_status(token, "completed")
    results = app.shop.wait_for_results(2)
    assert [(r.outcome, r.reason) for r in results] == [("unconfirmed", "timeout")] * 2
    assert app.shop.delivered == []
    store = SQLiteIdempotencyStore(app.store_path)
    record = store.get(results[0].key)
    store.close()
    assert record is not None
    assert (record.state, record.note) == ("unconfirmed", "timeout")
    expected = app.shop.orders[order_id]
    assert reconcile(app, expected).outcome == "processed"
    assert reconcile(app, expected).outcome == "duplicate"
    assert [t.token for t in app.shop.delivered] == [token]


def reconcile(app: RunningApp, expected: ExpectedTransaction) -> ProcessResult:
    """The polling fallback as a separate job would run it: its own client, same store file."""
    store = SQLiteIdempotencyStore(app.store_path)
    with ligdicash.Client(
        api_key=app.sandbox.api_key,
        auth_token=app.sandbox.auth_token,
        base_url=app.sandbox.base_url,
    ) as client:
        processor = CallbackProcessor(
            lookup=app.shop.lookup, handler=app.shop.deliver, client=client, store=store
        )
        try:
            return processor.reconcile(expected)
        finally:
            store.close()
