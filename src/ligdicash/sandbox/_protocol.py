"""Uvicorn HTTP protocols that let the app drop a connection without answering a byte
(and that always disable Nagle's algorithm).

An ASGI app cannot close its TCP connection silently: if it returns without answering,
uvicorn sends a 500. These subclasses put ``transport.abort`` in the request scope's
``state`` under ``ABORT_KEY`` so the fault layer can cut the connection instead.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

ABORT_KEY = "ligdicash.sandbox.abort"


def _expose_abort(protocol: Any, transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stalls
    state = dict(protocol.app_state)
    state[ABORT_KEY] = transport.abort  # type: ignore[attr-defined]
    protocol.app_state = state


def protocol_class(name: str = "auto") -> type[asyncio.Protocol]:
    """The sandbox's protocol for ``name`` (``h11``, ``httptools`` or ``auto``: httptools
    when installed, h11 otherwise)."""
    if name in ("auto", "httptools"):
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        except ImportError:
            if name == "httptools":
                raise
        else:

            class SandboxHttpToolsProtocol(HttpToolsProtocol):
                """httptools protocol exposing ``transport.abort`` to the app."""

                def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                    _expose_abort(self, transport)
                    super().connection_made(transport)

            return SandboxHttpToolsProtocol
    if name not in ("auto", "h11"):
        raise ValueError(f"unknown HTTP implementation {name!r}")
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class SandboxH11Protocol(H11Protocol):
        """h11 protocol exposing ``transport.abort`` to the app."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _expose_abort(self, transport)
            super().connection_made(transport)

    return SandboxH11Protocol
