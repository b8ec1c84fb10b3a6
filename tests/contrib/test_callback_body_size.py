"""The three endpoints refuse a body over the limit with 413, before reading it all.

Each framework's endpoint runs in a real server on loopback: Flask and Django under
werkzeug's threaded WSGI server (which de-chunks request bodies, as gunicorn does), FastAPI
under uvicorn. A middleware counts the bytes the app actually read from the server, which
is what the worker's memory pays for.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
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
from ligdicash._callbacks import MAX_BODY_BYTES
from ligdicash.contrib import (
    CallbackProcessor,
    ExpectedTransaction,
    MemoryIdempotencyStore,
    ProcessResult,
)

LIMIT = MAX_BODY_BYTES
CHUNK = 64 * 1024
#: What an app may have been handed past the limit: WSGI apps read exactly what they ask
#: for (limit + 1); uvicorn hands over what it buffered in one message (its 64 KiB high-water
#: mark plus one socket read), so the bound is "a few hundred KB", never the whole body.
MAX_READ = LIMIT + 1024 * 1024
WAIT = 30.0
SMALL = b'{"token": "t", "status": "completed", "custom_data": {"transaction_id": "ORD-1"}}'


class Counter:
    """Bytes of request body handed to the app, across server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n


class CountingInput:
    """``wsgi.input`` that counts what the app reads through it."""

    def __init__(self, stream: Any, counter: Counter) -> None:
        self._stream = stream
        self._counter = counter

    def read(self, *args: Any) -> bytes:
        data: bytes = self._stream.read(*args)
        self._counter.add(len(data))
        return data

    def readline(self, *args: Any) -> bytes:
        data: bytes = self._stream.readline(*args)
        self._counter.add(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def counting_wsgi(app: Any, counter: Counter) -> Callable[..., Any]:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], counter)
        return app(environ, start_response)

    return wrapped


def counting_asgi(app: Any, counter: Counter) -> Callable[..., Awaitable[None]]:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def counted() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                counter.add(len(message.get("body", b"")))
            return message

        await app(scope, counted if scope["type"] == "http" else receive, send)

    return wrapped


@dataclass
class Endpoint:
    framework: str
    url: str
    counter: Counter
    results: list[ProcessResult]


def no_order(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    return None  # every callback here is refused after parsing: no status call is made


def offline_client() -> ligdicash.Client:
    return ligdicash.Client(api_key="k", auth_token="t", base_url="http://127.0.0.1:9/pay/v01/")


@contextmanager
def flask_endpoint(counter: Counter, results: list[ProcessResult]) -> Iterator[str]:
    from flask import Flask

    from ligdicash.contrib.flask import make_blueprint

    client = offline_client()
    processor = CallbackProcessor(
        lookup=no_order,
        handler=print,
        client=client,
        store=MemoryIdempotencyStore(),
        on_result=results.append,
    )
    app = Flask(__name__)
    blueprint = make_blueprint(processor)
    app.register_blueprint(blueprint, url_prefix="/ligdicash")
    with serve_wsgi_werkzeug(counting_wsgi(app, counter)) as root:
        yield root + "/ligdicash/callback"
    blueprint.ligdicash_runner.shutdown()
    client.close()


@contextmanager
def fastapi_endpoint(counter: Counter, results: list[ProcessResult]) -> Iterator[str]:
    from fastapi import FastAPI

    from ligdicash.contrib.fastapi import make_router

    client = ligdicash.AsyncClient(
        api_key="k", auth_token="t", base_url="http://127.0.0.1:9/pay/v01/"
    )
    processor = CallbackProcessor(
        lookup=no_order,
        handler=print,
        client=client,
        store=MemoryIdempotencyStore(),
        on_result=results.append,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(make_router(processor), prefix="/ligdicash")
    with serve_asgi_uvicorn(counting_asgi(app, counter)) as root:
        yield root + "/ligdicash/callback"


@contextmanager
def django_settings(results: list[ProcessResult]) -> Iterator[None]:
    setup_django()
    from django.test import override_settings

    from ligdicash.contrib import django as ligdicash_django

    def processed(sender: Any, result: ProcessResult, **kwargs: Any) -> None:
        results.append(result)

    ligdicash_django.callback_processed.connect(processed, weak=False)
    with override_settings(
        LIGDICASH_API_KEY="k",
        LIGDICASH_AUTH_TOKEN="t",
        LIGDICASH_BASE_URL="http://127.0.0.1:9/pay/v01/",
        LIGDICASH_CALLBACK_LOOKUP=f"{__name__}.no_order",
        LIGDICASH_IDEMPOTENCY_STORE=MemoryIdempotencyStore(),
    ):
        yield
    ligdicash_django.callback_processed.disconnect(processed)
    ligdicash_django.reset()


@contextmanager
def django_endpoint(counter: Counter, results: list[ProcessResult]) -> Iterator[str]:
    with django_settings(results):
        from django.core.wsgi import get_wsgi_application

        app = counting_wsgi(get_wsgi_application(), counter)
        with serve_wsgi_werkzeug(app) as root:
            yield root + "/ligdicash/callback/"


ENDPOINTS = {"flask": flask_endpoint, "fastapi": fastapi_endpoint, "django": django_endpoint}


@pytest.fixture(scope="module", params=list(ENDPOINTS))
def running(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    counter = Counter()
    results: list[ProcessResult] = []
    with ENDPOINTS[request.param](counter, results) as url:
        yield Endpoint(request.param, url, counter, results)


@pytest.fixture
def endpoint(running: Endpoint) -> Endpoint:
    running.counter.total = 0
    running.results.clear()
    return running


def wait_for_results(endpoint: Endpoint, n: int) -> list[tuple[str, str]]:
    """Processing happens after the answer: wait (with a deadline) until ``n`` results."""
    deadline = time.monotonic() + WAIT
    while len(endpoint.results) < n:
        assert time.monotonic() < deadline, f"{len(endpoint.results)} of {n} results"
        time.sleep(0.01)
    return [(r.outcome, r.reason) for r in endpoint.results]


def chunks(total: int, sent: list[int]) -> Iterator[bytes]:
    """A chunked body of ``total`` bytes (no Content-Length); ``sent`` counts what left."""
    block = b"x" * CHUNK
    while sent[0] < total:
        sent[0] += CHUNK
        yield block


def raw_post(url: str, head: bytes, body: bytes) -> bytes:
    """Send exactly these bytes, return the start of the answer (the status line and on)."""
    parts = httpx.URL(url)
    with socket.create_connection((parts.host, parts.port), timeout=WAIT) as sock:
        sock.sendall(
            b"POST " + parts.raw_path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n"
        )
        with contextlib.suppress(OSError):  # the server may stop reading: the answer counts
            sock.sendall(body)
        return sock.recv(4096)


# -- a declared Content-Length ----------------------------------------------------------------
def test_a_body_declared_one_byte_over_the_limit_is_refused_unread(endpoint: Endpoint) -> None:
    response = httpx.post(endpoint.url, content=b"x" * (LIMIT + 1), timeout=WAIT)
    assert response.status_code == 413
    assert response.content == b""
    assert endpoint.counter.total == 0
    assert endpoint.results == []  # nothing was handed to the processor


def test_a_body_at_the_limit_is_read_and_answered_200(endpoint: Endpoint) -> None:
    response = httpx.post(endpoint.url, content=b"x" * LIMIT, timeout=WAIT)
    assert (response.status_code, response.content) == (200, b"")
    assert endpoint.counter.total == LIMIT
    assert wait_for_results(endpoint, 1) == [("refused", "invalid_callback")]


def test_a_small_callback_still_reaches_the_processor(endpoint: Endpoint) -> None:
    response = httpx.post(
        endpoint.url, content=SMALL, headers={"content-type": "application/json"}, timeout=WAIT
    )
    assert response.status_code == 200
    assert wait_for_results(endpoint, 1) == [("refused", "unknown_transaction")]


def test_a_lying_small_content_length_is_read_only_that_far(endpoint: Endpoint) -> None:
    answer = raw_post(
        endpoint.url,
        b"Content-Type: application/json\r\nContent-Length: 100\r\n",
        # More than declared, but little enough for the server to read and discard the
        # rest (a large excess risks a TCP reset that would swallow the answer).
        b"y" * 8192,
    )
    assert answer.startswith(b"HTTP/1.1 200")
    assert endpoint.counter.total <= 100
    assert wait_for_results(endpoint, 1) == [("refused", "invalid_callback")]


# -- no Content-Length: chunked ------------------------------------------------------------
def test_a_chunked_body_over_the_limit_is_refused_while_streaming(endpoint: Endpoint) -> None:
    sent = [0]
    response = httpx.post(endpoint.url, content=chunks(LIMIT + CHUNK, sent), timeout=WAIT)
    assert response.status_code == 413
    assert endpoint.counter.total <= MAX_READ
    assert endpoint.results == []


def test_a_chunked_body_under_the_limit_is_read(endpoint: Endpoint) -> None:
    sent = [0]
    response = httpx.post(endpoint.url, content=chunks(LIMIT - CHUNK, sent), timeout=WAIT)
    assert response.status_code == 200
    assert endpoint.counter.total == LIMIT - CHUNK
    assert wait_for_results(endpoint, 1) == [("refused", "invalid_callback")]


def test_fifty_megabytes_streamed_get_a_413_after_reading_about_the_limit(
    endpoint: Endpoint,
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sent = [0]
    response = httpx.post(endpoint.url, content=chunks(50 * 1024 * 1024, sent), timeout=WAIT)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert response.status_code == 413
    # Read: the limit and at most what the server had buffered, not 50 MB.
    assert endpoint.counter.total <= MAX_READ
    print(
        f"{endpoint.framework}: app read {endpoint.counter.total} bytes, client sent "
        f"{sent[0]} bytes, peak RSS {before // 1024} -> {after // 1024} MB"
    )


# -- Django's own development server --------------------------------------------------------------
def test_djangos_own_server_refuses_a_declared_large_body_too(tmp_path: Path) -> None:
    counter = Counter()
    results: list[ProcessResult] = []
    with django_settings(results):
        from django.core.wsgi import get_wsgi_application

        app = counting_wsgi(get_wsgi_application(), counter)
        with serve_wsgi_django(app) as root:
            response = httpx.post(
                root + "/ligdicash/callback/", content=b"x" * (LIMIT + 1), timeout=WAIT
            )
            small = httpx.post(root + "/ligdicash/callback/", content=SMALL, timeout=WAIT)
    assert response.status_code == 413
    assert small.status_code == 200
    assert counter.total == len(SMALL)
