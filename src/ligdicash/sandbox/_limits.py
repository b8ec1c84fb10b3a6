"""Request bodies over the size limit are refused while they arrive, not after.

A pure-ASGI layer in front of everything the sandbox serves: a ``Content-Length`` over the
limit is answered 413 before a byte of body is read; a chunked (or lying) body is counted as
it streams in and answered 413 as soon as it passes the limit. The application behind sees a
disconnect and whatever it tries to send afterwards is dropped.
"""

from __future__ import annotations

from typing import Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1_000_000
"""Bytes a request body may have (every path: API, hosted page, control API)."""

_TOO_LARGE = b'{"message":"Payload Too Large"}'


def _body_headers(scope: Scope) -> tuple[bool, Optional[int]]:
    """Whether the request may carry a body, and its declared length if any."""
    chunked = False
    for key, value in scope["headers"]:
        if key == b"content-length":
            text = bytes(value).strip()
            return True, int(text) if text.isdigit() and len(text) <= 18 else None
        if key == b"transfer-encoding":
            chunked = True
    return chunked, None


async def _refuse(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_TOO_LARGE)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": _TOO_LARGE})


class BodyLimit:
    """Answers 413 to any HTTP request whose body exceeds ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body, declared = _body_headers(scope)
        if not has_body:  # no Content-Length, no Transfer-Encoding: no body (the hot GETs)
            await self.app(scope, receive, send)
            return
        if declared is not None and declared > self.limit:
            await _refuse(send)
            return
        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        await _refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer; drop what the app says after the disconnect
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
