"""LigdiCash callbacks for FastAPI and Starlette: a router (or route) in a few lines.

::

    from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
    from ligdicash.contrib.fastapi import make_router

    processor = CallbackProcessor(lookup=find_order, handler=deliver_order)
    app.include_router(make_router(processor), prefix="/ligdicash")   # POST /ligdicash/callback

The endpoint reads the body (refusing one over 256 KiB with ``413``, on its
``Content-Length`` or while streaming, without reading the rest), answers ``200`` with an
empty body at once (whatever the callback holds: nothing is revealed to a forger), and
processes it in a Starlette background task, after the response is sent:
:meth:`CallbackProcessor.aprocess` (async lookups/handlers are awaited, sync ones run in a
worker thread).

Needs ``pip install 'ligdicash[fastapi]'``.
"""

from __future__ import annotations

try:
    from fastapi import APIRouter
    from starlette.background import BackgroundTask
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "ligdicash.contrib.fastapi needs FastAPI: pip install 'ligdicash[fastapi]'"
    ) from exc

from typing import Any, Callable

from ._body import aread_limited, declared_too_large
from ._handler import CallbackProcessor

__all__ = ["callback_endpoint", "make_route", "make_router"]


def callback_endpoint(processor: CallbackProcessor) -> Callable[[Request], Any]:
    """The ASGI endpoint function: ``async def endpoint(request) -> Response``."""

    async def ligdicash_callback(request: Request) -> Response:
        if declared_too_large(request.headers.get("content-length")):
            return Response(status_code=413)
        try:
            body = await aread_limited(request.stream())
        except ClientDisconnect:  # nobody is left to answer
            return Response(status_code=400)
        if body is None:
            return Response(status_code=413)
        content_type = request.headers.get("content-type", "")
        task = BackgroundTask(processor.aprocess, body, content_type)
        return Response(status_code=200, background=task)

    return ligdicash_callback


def make_route(processor: CallbackProcessor, path: str = "/ligdicash/callback") -> Route:
    """A Starlette ``Route`` (POST only) for ``Starlette(routes=[...])``."""
    return Route(path, callback_endpoint(processor), methods=["POST"], name="ligdicash-callback")


def make_router(processor: CallbackProcessor, *, path: str = "/callback") -> APIRouter:
    """A FastAPI ``APIRouter`` with ``POST {path}``; mount it with ``include_router``."""
    router = APIRouter()
    router.add_api_route(
        path,
        callback_endpoint(processor),
        methods=["POST"],
        name="ligdicash-callback",
        include_in_schema=False,
        response_class=Response,
    )
    return router
