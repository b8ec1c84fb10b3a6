"""Assembles the sandbox's ASGI application: body limit -> request guard -> fault layer ->
API -> page, control, dashboard."""

from __future__ import annotations

from typing import Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import _control, _dashboard, _page
from ._api import ApiApp
from ._config import SandboxConfig
from ._engine import Engine
from ._faults import FaultInjector, FaultLayer
from ._guard import RequestGuard
from ._limits import BodyLimit


async def _root(request: Request) -> Response:
    return RedirectResponse("/_sandbox/", status_code=307)


def _routes() -> list[Route]:
    c = _control
    tx = "/_sandbox/transactions/{token}"
    return [
        Route("/", _root),
        Route("/pay/invoice/{token}", _page.show_invoice, methods=["GET"]),
        Route("/pay/invoice/{token}", _page.submit_invoice, methods=["POST"]),
        Route("/_sandbox/", _dashboard.dashboard),
        Route("/_sandbox/health", c.health),
        Route("/_sandbox/transactions", c.list_transactions),
        Route(tx, c.get_transaction),
        Route(tx + "/status", c.set_status, methods=["POST"]),
        Route(tx + "/approve", c.approve, methods=["POST"]),
        Route(tx + "/mode", c.set_mode, methods=["POST"]),
        Route(tx + "/callbacks", c.redeliver, methods=["POST"]),
        Route("/_sandbox/callbacks", c.list_callbacks),
        Route("/_sandbox/faults", c.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/reset", c.reset, methods=["POST"]),
        Route("/_sandbox/balance", c.balance, methods=["GET", "POST"]),
        Route("/_sandbox/wallet-otps", c.wallet_otps),
    ]


class SandboxApp:
    """The ASGI application of one sandbox; ``close()`` it when the server has stopped."""

    def __init__(self, config: Optional[SandboxConfig] = None) -> None:
        self.config = config or SandboxConfig()
        self.engine = Engine(self.config)
        self.faults = FaultInjector()
        web = Starlette(routes=_routes())
        web.state.engine = self.engine
        web.state.faults = self.faults
        api = FaultLayer(ApiApp(self.engine, self.config, web), self.faults)
        self._asgi = BodyLimit(RequestGuard(api, self.config.public_url))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    def close(self) -> None:
        """Stop background work (scheduler, callback deliveries) and close the database."""
        self.engine.close()


def create_app(config: Optional[SandboxConfig] = None) -> SandboxApp:
    """A sandbox ASGI app, e.g. ``uvicorn --factory ligdicash.sandbox:create_app``.

    Served by another server than the sandbox's own runner, the ``drop`` fault answers 500
    (dropping a connection needs the sandbox's uvicorn protocol, see ``Sandbox``).
    """
    return SandboxApp(config)
