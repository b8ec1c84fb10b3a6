"""The three example apps in ``examples/`` take a sandbox payment from order to "paid"."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from test_callback_endpoints import serve_asgi_uvicorn, serve_wsgi_werkzeug

from ligdicash.sandbox import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT = 15.0


@pytest.fixture
def shop_env(
    ligdicash_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = {
        "LIGDICASH_API_KEY": ligdicash_sandbox.api_key,
        "LIGDICASH_AUTH_TOKEN": ligdicash_sandbox.auth_token,
        "LIGDICASH_BASE_URL": ligdicash_sandbox.base_url,
        "SHOP_DB": str(tmp_path / "shop.sqlite3"),
        "LIGDICASH_IDEMPOTENCY_DB": str(tmp_path / "ligdicash-callbacks.sqlite3"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ORDERS = {"flask": "/orders", "fastapi": "/orders", "django": "/orders/"}


def pay_and_wait_until_paid(root: str, sandbox: Sandbox, framework: str) -> None:
    """Order, let the sandbox complete the payment, wait for the shop to say "paid"."""
    with httpx.Client(base_url=root, timeout=WAIT) as http:
        if framework == "fastapi":
            created = http.post("/orders", params={"amount": 31500})
        else:
            created = http.post(ORDERS[framework], data={"amount": "31500"})
        assert created.status_code == 201, created.text
        order_id = created.json()["order_id"]
        [transaction] = sandbox.transactions()
        sandbox.set_status(transaction["token"], "completed")
        sandbox.wait_for_callbacks(2, timeout=WAIT, token=transaction["token"])
        deadline = time.monotonic() + WAIT
        status = ""
        while status != "paid":  # the shop's own page is the only thing to watch
            assert time.monotonic() < deadline, f"order still {status!r}"
            slash = "/" if framework == "django" else ""
            status = http.get(f"/orders/{order_id}{slash}").json()["status"]
            time.sleep(0.02)


def test_the_flask_example_delivers_a_sandbox_payment(
    shop_env: dict[str, str], ligdicash_sandbox: Sandbox
) -> None:
    app = load("flask_app").create_app()
    processor = app.extensions["ligdicash"]
    try:
        with serve_wsgi_werkzeug(app) as root:
            pay_and_wait_until_paid(root, ligdicash_sandbox, "flask")
    finally:
        app.blueprints["ligdicash"].ligdicash_runner.shutdown()
        processor.client.close()
        processor.store.close()


def test_the_fastapi_example_delivers_a_sandbox_payment(
    shop_env: dict[str, str], ligdicash_sandbox: Sandbox
) -> None:
    app = load("fastapi_app").create_app()
    with serve_asgi_uvicorn(app) as root:
        pay_and_wait_until_paid(root, ligdicash_sandbox, "fastapi")


@pytest.fixture
def django_shop(shop_env: dict[str, str]) -> Iterator[str]:
    project = EXAMPLES / "django_shop"
    env = {**os.environ, **shop_env, "PYTHONPATH": str(project)}
    manage = [sys.executable, str(project / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=60)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:  # wait until the server accepts connections
            try:
                httpx.get(root + "/orders/none/", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.05)
        yield root
    finally:
        server.terminate()
        server.wait(timeout=WAIT)


def test_the_django_example_delivers_a_sandbox_payment(
    django_shop: str, ligdicash_sandbox: Sandbox
) -> None:
    pay_and_wait_until_paid(django_shop, ligdicash_sandbox, "django")
