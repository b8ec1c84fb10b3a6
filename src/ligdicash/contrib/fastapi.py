"""LigdiCash callbacks for FastAPI and Starlette: a router (or route) in a few lines.

::

    from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
    from ligdicash.contrib.fastapi import make_router

    processor = CallbackProcessor(lookup=find_order, handler=deliver_order)
    app.include_router(make_router(processor), prefix="/ligdicash")   # POST /ligdicash/callback

The endpoint reads the body (refusing one over 256 KiB with ``413``, on its
``Content-Length`` or while streaming, without reading the rest), keeps it in the store's
inbox, answers ``200`` with an empty body (``503`` if the store could not keep it; whatever
the callback holds, nothing is revealed to a forger), and processes it in a Starlette
background task, after the response is sent: :meth:`CallbackProcessor.aprocess_inbox`
(async lookups/handlers are awaited, sync ones run in a worker thread). The router's
lifespan sweeps the inbox at start and every 5 s (:func:`asweep_forever`), finishing what
a dead worker left; with a bare :func:`make_route`, run ``asweep_forever(processor)`` in
your own lifespan. The processor's default store is ``ligdicash.open_store()``
(``LIGDICASH_STORE_URL``, else a SQLite file: one machine).

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

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Callable, Optional

import anyio.to_thread

from ._body import aread_limited, declared_too_large
from ._endpoint import receive
from ._handler import CallbackProcessor
from ._sweeper import DEFAULT_INTERVAL, asweep_forever

__all__ = ["asweep_forever", "callback_endpoint", "make_route", "make_router", "sweeper_lifespan"]


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
        if processor.inbox is None:  # a store without an inbox: process from memory
            task = BackgroundTask(processor.aprocess, body, content_type)
            return Response(status_code=200, background=task)
        reception = await anyio.to_thread.run_sync(receive, processor, body, content_type)
        if reception.digest is None:
            return Response(status_code=reception.status)
        task = BackgroundTask(processor.aprocess_inbox, reception.digest)
        return Response(status_code=reception.status, background=task)

    return ligdicash_callback


def make_route(processor: CallbackProcessor, path: str = "/ligdicash/callback") -> Route:
    """A Starlette ``Route`` (POST only) for ``Starlette(routes=[...])``."""
    return Route(path, callback_endpoint(processor), methods=["POST"], name="ligdicash-callback")


def sweeper_lifespan(
    processor: CallbackProcessor, *, interval: float = DEFAULT_INTERVAL
) -> Callable[[Any], Any]:
    """A lifespan that sweeps ``processor``'s inbox at start and every ``interval`` s."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.ensure_future(asweep_forever(processor, interval=interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def make_router(
    processor: CallbackProcessor,
    *,
    path: str = "/callback",
    sweep_interval: Optional[float] = DEFAULT_INTERVAL,
) -> APIRouter:
    """A FastAPI ``APIRouter`` with ``POST {path}``; mount it with ``include_router``.

    Its lifespan (merged into the app's by ``include_router``) sweeps the inbox every
    ``sweep_interval`` seconds; ``None``: no sweeper.
    """
    lifespan = sweeper_lifespan(processor, interval=sweep_interval) if sweep_interval else None
    router = APIRouter(lifespan=lifespan)
    router.add_api_route(
        path,
        callback_endpoint(processor),
        methods=["POST"],
        name="ligdicash-callback",
        include_in_schema=False,
        response_class=Response,
    )
    return router
