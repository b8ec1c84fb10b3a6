"""What ``ligdicash sandbox`` does: build the config, print where to connect, serve until Ctrl+C."""

from __future__ import annotations

import signal
import sys
from typing import Any, Optional

import uvicorn

from ._app import SandboxApp
from ._config import API_PREFIX, SandboxConfig
from ._guard import bind_warning
from ._server import bind_socket, server_url, uvicorn_config
from ._store import StoreUnreadable


class SandboxStartError(Exception):
    """The sandbox cannot start; the message is one line for the user, ``status`` the exit
    status (1: the port, 2: bad input such as an unusable ``--db``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the sandbox like Ctrl+C: cleanly, exit status 0."""
    raise KeyboardInterrupt


def serve(
    console: Any,
    *,
    host: str,
    port: int,
    db: str,
    platform: str,
    api_key: Optional[str],
    auth_token: Optional[str],
    balance: Optional[int],
    fast: bool,
    public_url: Optional[str],
    http_impl: str,
) -> None:
    """Run a sandbox in the foreground; ``console`` is a rich Console.

    Raises ``SandboxStartError`` when the database cannot be used or the port not bound.
    """
    changes: dict[str, Any] = {"db_path": db, "platform": platform, "public_url": public_url}
    if api_key:
        changes["api_key"] = api_key
    if auth_token:
        changes["auth_token"] = auth_token
    if balance is not None:
        changes["balance"] = balance
    config = SandboxConfig.fast(**changes) if fast else SandboxConfig(**changes)
    try:
        app = SandboxApp(config)
    except StoreUnreadable as exc:
        raise SandboxStartError(f"--db {db}: {exc}", 2) from None
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        app.close()
        raise SandboxStartError(f"cannot listen on {host}:{port}: {exc.strerror}", 1) from None
    root = server_url(sock)
    warning = bind_warning(host)
    if warning is not None:
        console.print(f"[yellow]{warning}[/yellow]")
    console.print("[bold]LigdiCash sandbox[/bold] running (no real money moves)")
    console.print(f"  base_url:   {root}{API_PREFIX}")
    console.print(f"  api_key:    {config.api_key}")
    console.print(f"  auth_token: {config.auth_token}")
    console.print(f"  dashboard:  {root}/_sandbox/")
    console.print(f"  platform:   {config.platform}   database: {config.db_path}")
    console.print(f'Point the SDK at it: ligdicash.base_url = "{root}{API_PREFIX}"')
    console.print("Press Ctrl+C to stop.")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        uvicorn.Server(uvicorn_config(app, http=http_impl)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        sock.close()
    console.print("Sandbox stopped.")
