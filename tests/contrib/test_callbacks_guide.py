"""The code blocks of docs/callbacks.md marked ``<!-- test: name -->`` run as written.

Each block is executed verbatim in a namespace holding only what the guide's reader
already has (their ``find_order`` and ``deliver_order``), then used the way the guide
says: its URL helpers inside each framework's request, the FastAPI app under uvicorn with
a real sandbox payment, the logging set-up with a real handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest
from test_callback_endpoints import serve_asgi_uvicorn, setup_django

import ligdicash
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction, MemoryIdempotencyStore
from ligdicash.sandbox import Sandbox

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "callbacks.md"
BLOCKS = dict(
    re.findall(
        r"<!-- test: ([\w-]+) -->\n```python\n(.*?)\n```", GUIDE.read_text("utf-8"), re.DOTALL
    )
)
WAIT = 30.0


def run(name: str, **namespace: Any) -> dict[str, Any]:
    exec(compile(BLOCKS[name], f"<docs/callbacks.md: {name}>", "exec"), namespace)
    return namespace


def test_the_guide_marks_the_blocks_we_run() -> None:
    assert set(BLOCKS) == {"django-callback-url", "flask-callback-url", "fastapi-app", "logging"}


def test_the_django_callback_url_is_built_from_the_route_name() -> None:
    setup_django()
    from django.test import RequestFactory

    namespace = run("django-callback-url")
    request = RequestFactory().get("/checkout/", HTTP_HOST="127.0.0.1")
    assert namespace["callback_url_for"](request) == "http://127.0.0.1/ligdicash/callback/"


def test_the_django_default_store_file_is_where_the_guide_says(tmp_path: Path) -> None:
    setup_django()
    from django.test import override_settings

    from ligdicash.contrib import django as ligdicash_django

    with override_settings(
        BASE_DIR=tmp_path,
        LIGDICASH_API_KEY="k",
        LIGDICASH_AUTH_TOKEN="t",
        LIGDICASH_CALLBACK_LOOKUP=lambda callback: None,
    ):
        store = ligdicash_django.get_processor().store
        assert getattr(store, "path", None) == str(tmp_path / "ligdicash-callbacks.sqlite3")
    ligdicash_django.reset()


def test_the_flask_callback_url_is_built_from_the_endpoint_name() -> None:
    from flask import Flask

    from ligdicash.contrib.flask import make_blueprint

    client = ligdicash.Client(api_key="k", auth_token="t")
    processor = CallbackProcessor(
        lookup=lambda c: None, handler=print, client=client, store=MemoryIdempotencyStore()
    )
    app = Flask(__name__)
    blueprint = make_blueprint(processor)
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    namespace = run("flask-callback-url")
    with app.test_request_context("/checkout", base_url="https://shop.example"):
        assert namespace["callback_url_for"]() == "https://shop.example/ligdicash/callback"
    blueprint.ligdicash_runner.shutdown()
    client.close()


@pytest.fixture
def shop_env(
    ligdicash_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    monkeypatch.setenv("LIGDICASH_API_KEY", ligdicash_sandbox.api_key)
    monkeypatch.setenv("LIGDICASH_AUTH_TOKEN", ligdicash_sandbox.auth_token)
    monkeypatch.setenv("LIGDICASH_BASE_URL", ligdicash_sandbox.base_url)
    monkeypatch.chdir(tmp_path)  # where the default store file goes
    return ligdicash_sandbox


def test_the_fastapi_app_takes_a_payment_and_closes_its_client_at_shutdown(
    shop_env: Sandbox, tmp_path: Path
) -> None:
    orders: dict[str, ExpectedTransaction] = {}
    delivered: list[ligdicash.Transaction] = []

    def find_order(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return orders.get(callback.order_id)

    namespace = run("fastapi-app", find_order=find_order, deliver_order=delivered.append)
    app, client = namespace["app"], namespace["client"]
    app.add_api_route("/callback-url", namespace["callback_url_for"])  # the guide's helper
    with serve_asgi_uvicorn(app) as root:
        callback_url = httpx.get(root + "/callback-url", timeout=WAIT).json()
        assert callback_url == root + app.url_path_for("ligdicash-callback")
        assert callback_url == root + "/ligdicash/callback"
        with ligdicash.Client() as shop:
            invoice = shop.Invoice(description="Order ORD-1")
            invoice.add_item(name="Tea", description="", quantity=1, unit_price=500)
            response = invoice.pay_with_redirection(
                callback_url=callback_url, custom_data={"transaction_id": "ORD-1"}
            )
        orders["ORD-1"] = ExpectedTransaction(
            token=response.token, amount=500, transaction_id="ORD-1"
        )
        shop_env.set_status(response.token, "completed")
        shop_env.wait_for_callbacks(2, timeout=WAIT, token=response.token)
        wait_until(lambda: len(delivered) == 1)
        assert not client.is_closed
    assert client.is_closed  # the lifespan closed it when uvicorn shut down
    assert [t.token for t in delivered] == [response.token]
    assert (tmp_path / "ligdicash-callbacks.sqlite3").exists()  # the working directory
    namespace["processor"].store.close()


def wait_until(condition: Any) -> None:
    import time

    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def restore_ligdicash_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("ligdicash")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    for handler in logger.handlers:
        handler.close()
    logger.handlers[:], logger.level, logger.propagate = saved


def test_the_logging_setup_shows_the_callback_lines(
    restore_ligdicash_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    run("logging")
    processor = CallbackProcessor(
        lookup=lambda c: None,
        handler=print,
        client=ligdicash.Client(api_key="k", auth_token="t"),
        store=MemoryIdempotencyStore(),
    )
    processor.process(b"token=cb&status=completed&customer=22670123456", "")
    err = capsys.readouterr().err
    assert " INFO ligdicash.callbacks: callback received (form)" in err
    assert " WARNING ligdicash.callbacks: callback refused: unknown transaction" in err
    assert "22670123456" not in err


@pytest.mark.parametrize(
    ("timeout", "max_retries", "seconds"), [(None, None, 405.0), (5, 1, 100.0)]
)
def test_the_status_call_worst_cases_the_guide_quotes(
    timeout: Optional[float], max_retries: Optional[int], seconds: float
) -> None:
    with ligdicash.Client(
        api_key="k", auth_token="t", timeout=timeout, max_retries=max_retries
    ) as client:
        processor = CallbackProcessor(
            lookup=lambda c: None, handler=print, client=client, store=MemoryIdempotencyStore()
        )
        timing = processor.timing()
    assert timing.status_call == seconds
    assert (timing.busy_wait, timing.lease) == (seconds + 10, 20.0)  # renewed by a heartbeat
