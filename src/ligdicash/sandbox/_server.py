"""Running the sandbox: uvicorn in a background thread, and the ``Sandbox`` context manager."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any, Optional

import uvicorn

from ._app import SandboxApp
from ._client import SandboxClient
from ._config import SandboxConfig
from ._guard import bind_warning
from ._protocol import protocol_class

logger = logging.getLogger("ligdicash.sandbox")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listening socket says TCP, and without it h11's split writes stall ~40 ms per answer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def server_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def uvicorn_config(app: Any, *, http: str = "auto", loop: str = "auto") -> uvicorn.Config:
    """The uvicorn settings the sandbox runs with (its own protocol for the ``drop`` fault)."""
    return uvicorn.Config(
        app,
        http=protocol_class(http),
        loop=loop,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=2,
        backlog=2048,
    )


class ServerThread:
    """A uvicorn server serving ``app`` on ``sock`` in a daemon thread."""

    def __init__(self, app: Any, sock: socket.socket, *, http: str = "auto") -> None:
        self._sock = sock
        self.server = uvicorn.Server(uvicorn_config(app, http=http))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start in time")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


class Sandbox(SandboxClient):
    """A sandbox running in this process on a free loopback port::

        with Sandbox() as sb:
            ligdicash.api_key, ligdicash.auth_token = sb.api_key, sb.auth_token
            ligdicash.base_url = sb.base_url
            ...
            sb.set_status(token, "completed")

    Keyword arguments override fields of ``config`` (see ``SandboxConfig``).
    """

    def __init__(
        self,
        config: Optional[SandboxConfig] = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        http: str = "auto",
        **overrides: Any,
    ) -> None:
        base = config or SandboxConfig()
        self.config = base.replace(**overrides) if overrides else base
        self._host = host
        self._port = port
        self._http_impl = http
        self._app: Optional[SandboxApp] = None
        self._server: Optional[ServerThread] = None
        self._url = ""
        self._http = None

    @property
    def api_key(self) -> str:
        """The ``Apikey`` this sandbox accepts."""
        return self.config.api_key

    @property
    def auth_token(self) -> str:
        """The bearer token this sandbox accepts."""
        return self.config.auth_token

    @property
    def auth_headers(self) -> dict[str, str]:
        """The headers of an authenticated API request, for raw HTTP tests."""
        return {
            "Apikey": self.api_key,
            "Authorization": f"Bearer {self.auth_token}",
            "Accept": "application/json",
        }

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def app(self) -> SandboxApp:
        """The ASGI app (its ``engine`` and ``faults`` are reachable for white-box use)."""
        if self._app is None:
            raise RuntimeError("the sandbox is not running; use start() or a with block")
        return self._app

    def start(self) -> Sandbox:
        """Start the server; returns self."""
        if self._server is not None:
            return self
        warning = bind_warning(self._host)
        if warning is not None:
            logger.warning(warning)
        app = SandboxApp(self.config)
        try:
            sock = bind_socket(self._host, self._port)
            server = ServerThread(app, sock, http=self._http_impl)
            server.start()
        except BaseException:
            app.close()
            raise
        self._app, self._server = app, server
        SandboxClient.__init__(self, server_url(sock))
        return self

    def stop(self) -> None:
        """Stop the server and its background work; the database is closed."""
        server, app = self._server, self._app
        self._server = self._app = None
        if server is not None:
            server.stop()
        if app is not None:
            app.close()
        self.close()
        self._url = ""

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<Sandbox {where} platform={self.config.platform}>"
