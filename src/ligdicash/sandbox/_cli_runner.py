"""What ``ligdicash sandbox`` does: build the config, print where to connect, serve until Ctrl+C."""

from __future__ import annotations

import signal
import sys
from typing import Any, Optional

import uvicorn

from .._i18n import message
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
    language: str = "en",
    wire: str = "documented",
) -> None:
    """Run a sandbox in the foreground; ``console`` is a rich Console, ``language`` (``"en"``
    or ``"fr"``) that of the messages printed and the pages' default language.

    Raises ``SandboxStartError`` when the database cannot be used or the port not bound.
    """
    changes: dict[str, Any] = {
        "db_path": db,
        "platform": platform,
        "public_url": public_url,
        "language": language,
        "wire": wire,
    }
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
        cannot = message(
            language, "sandbox.cannot_listen", host=host, port=port, error=exc.strerror
        )
        raise SandboxStartError(cannot, 1) from None
    root = server_url(sock)
    warning = bind_warning(host, language)
    if warning is not None:
        console.print(f"[yellow]{warning}[/yellow]")
    console.print(message(language, "sandbox.running"))
    console.print(f"  base_url:   {root}{API_PREFIX}")
    console.print(f"  api_key:    {config.api_key}")
    console.print(f"  auth_token: {config.auth_token}")
    console.print(message(language, "sandbox.dashboard", url=f"{root}/_sandbox/"))
    console.print(
        message(language, "sandbox.platform", platform=config.platform, db=config.db_path)
    )
    pages = message(config.language, "sandbox.language_name")
    console.print(message(language, "sandbox.pages", lang_name=pages))
    console.print(message(language, "sandbox.point_sdk", url=f"{root}{API_PREFIX}"))
    console.print(message(language, "sandbox.stop_hint"))
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        uvicorn.Server(uvicorn_config(app, http=http_impl)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        sock.close()
    console.print(message(language, "sandbox.stopped"))
