"""Fault injection: a queue of planned failures and the pure-ASGI layer that applies them.

Faults apply only to the LigdiCash API paths (``/pay/v01/...``, ``/pay/v02/...``), never to
the control API or the hosted page. Each matching request consumes one unit of the first
matching fault. A fault's ``path`` matches any request path containing it (``"confirm"``,
``"withdrawal/"``), or, when it starts with ``/``, exactly that path
(``"/pay/v01/straight/payout"`` hits the merchant payout creation and not its ``/confirm``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Any, Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._config import API_PREFIX, API_V02_PREFIX
from ._protocol import ABORT_KEY

logger = logging.getLogger("ligdicash.sandbox")

KINDS = (
    "latency",
    "http_500",
    "http_502_html",
    "drop",
    "drop_after",
    "truncated_json",
    "not_json",
    "http_429",
)
DEFAULT_LATENCY_MS = 1000
MAX_LATENCY_MS = 120_000
"""Two minutes: longer than any client timeout worth testing, short enough to never hang."""
MAX_COUNT = 1_000_000
MAX_PATH = 2048

_BODIES: dict[str, tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]] = {
    "http_500": (500, b"text/html; charset=UTF-8", b"<h1>Internal Server Error</h1>", []),
    "http_502_html": (
        502,
        b"text/html",
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
        b"</body>\r\n</html>\r\n",
        [],
    ),
    "not_json": (
        200,
        b"text/html; charset=UTF-8",
        b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
        b"<body><p>Service temporairement indisponible.</p></body></html>",
        [],
    ),
    "http_429": (
        429,
        b"application/json",
        b'{"message":"Too Many Requests"}',
        [(b"retry-after", b"1")],
    ),
}


@dataclass
class Fault:
    """A planned failure: ``kind``, how many requests it still hits, which paths."""

    id: int
    kind: str
    remaining: int
    path: Optional[str] = None
    latency_ms: Optional[int] = None

    def as_dict(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return asdict(self)


def path_matches(pattern: str, path: str) -> bool:
    """Whether a fault planned for ``pattern`` applies to a request for ``path``."""
    if pattern.startswith("/"):
        return path.rstrip("/") == pattern.rstrip("/")
    return pattern in path


class FaultSpecError(ValueError):
    """A planned fault is malformed (the control API answers 400 with this message)."""


def _whole(value: Any, name: str, low: int, high: int) -> int:
    # JSON has one number type: accept 3 and 3.0, refuse 3.5, 1e999, true, "3".
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultSpecError(f"{name} must be a whole number between {low} and {high}")
    if isinstance(value, float) and not value.is_integer():
        raise FaultSpecError(f"{name} must be a whole number between {low} and {high}")
    if not low <= value <= high:
        raise FaultSpecError(f"{name} must be a whole number between {low} and {high}")
    return int(value)


def fault_spec(data: Any) -> tuple[str, int, Optional[str], Optional[int]]:
    """``(kind, count, path, latency_ms)`` read from a control API body; raises
    ``FaultSpecError`` for anything out of range or of the wrong type."""
    if not isinstance(data, dict):
        raise FaultSpecError("the body must be a JSON object")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    count = _whole(data.get("count", 1), "count", 1, MAX_COUNT)
    path = data.get("path")
    if path is not None and (not isinstance(path, str) or len(path) > MAX_PATH):
        raise FaultSpecError(f"path must be a string of at most {MAX_PATH} characters, or null")
    latency = data.get("latency_ms")
    latency_ms = None if latency is None else _whole(latency, "latency_ms", 0, MAX_LATENCY_MS)
    return kind, count, path, latency_ms


class FaultInjector:
    """The faults still to apply; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(
        self,
        kind: str,
        count: int = 1,
        path: Optional[str] = None,
        latency_ms: Optional[int] = None,
    ) -> Fault:
        """Plan ``count`` failures of ``kind`` (on paths containing ``path`` if given).

        Raises ``FaultSpecError`` (a ``ValueError``) for an unknown kind, a count outside
        [1; 1,000,000], a path that is not a string, or a latency outside [0; 120,000] ms.
        """
        kind, count, path, latency_ms = fault_spec(
            {"kind": kind, "count": count, "path": path, "latency_ms": latency_ms}
        )
        fault = Fault(next(self._ids), kind, count, path or None, latency_ms)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Optional[Fault]:
        """Consume one unit of the first fault matching ``path``, if any."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path_matches(fault.path, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """The faults still planned."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()


async def _send_canned(send: Send, kind: str) -> None:
    status, content_type, body, extra = _BODIES[kind]
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(scope: Scope, receive: Receive, send: Send) -> None:
    abort = scope.get("state", {}).get(ABORT_KEY)
    if abort is None:
        logger.warning("'drop' needs the sandbox's uvicorn protocol; answering 500 instead")
        await _send_canned(send, "http_500")
        return
    abort()

    async def until_disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnected(), timeout=5)
    except asyncio.TimeoutError:
        logger.debug("no disconnect event after aborting a connection")


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; return a ``receive`` that hands it over again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


async def _processed(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[dict[str, Any], bytes]:
    """Run the request through ``app`` for real and capture its answer instead of sending it."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)


async def _drop_after(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    # The answer lost on the way back: the payment or payout exists, the client saw nothing.
    await _processed(app, scope, receive)
    await _drop(scope, receive, send)


async def _truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    start, body = await _processed(app, scope, receive)
    cut = body[: max(1, len(body) // 2)]
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(cut)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": cut})


class FaultLayer:
    """Pure ASGI middleware applying planned faults to API requests."""

    def __init__(self, app: ASGIApp, faults: FaultInjector) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        fault = None
        if scope["type"] == "http" and path.startswith((API_PREFIX, API_V02_PREFIX)):
            fault = self.faults.take(path)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "latency":
            ms = DEFAULT_LATENCY_MS if fault.latency_ms is None else fault.latency_ms
            # Read the request first, like a real backend that already has it: a client that
            # times out meanwhile does not stop the work (the payment may still be created).
            replay = await _buffered(receive)
            await asyncio.sleep(ms / 1000)
            await self.app(scope, replay, send)
        elif fault.kind == "drop":
            await _drop(scope, receive, send)
        elif fault.kind == "drop_after":
            await _drop_after(self.app, scope, receive, send)
        elif fault.kind == "truncated_json":
            await _truncated(self.app, scope, receive, send)
        else:
            await _send_canned(send, fault.kind)
