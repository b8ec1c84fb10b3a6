"""Keeps other web sites out of the control API and the dashboard (``/_sandbox/...``).

They need no credentials, so without this a form on any page the developer visits (or a DNS
rebinding attack) could mark a payment completed and fire a correctly hashed callback, or
plan faults. A request to ``/_sandbox/`` is refused (403) unless:

- its ``Host`` is a loopback name or address, or the host of ``SandboxConfig.public_url``;
- its ``Origin``, when present, is the sandbox itself (and for a request that changes state,
  without an ``Origin``, its ``Referer`` when present);
- when it changes state (any method but GET/HEAD/OPTIONS), it says
  ``Content-Type: application/json`` (which no plain HTML form and no "simple" cross-site
  ``fetch`` can send), or it is a form posted by the dashboard itself (same-origin ``Origin``
  or ``Referer``).

The API (``/pay/v01/``) needs the credentials and the hosted page is meant to be reached from
the merchant's site, so neither is guarded here.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Optional
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from .._i18n import message

CONTROL_PREFIX = "/_sandbox"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def split_host(host: str) -> str:
    """The host name of a ``Host`` header or URL netloc, without port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) can only mean this machine."""
    name = split_host(host).rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind_warning(host: str, language: str = "en") -> Optional[str]:
    """The warning to print (in ``language``) when the sandbox listens on ``host``, or None
    on loopback."""
    if is_loopback(host):
        return None
    return message(language, "sandbox.bind_warning", host=host)


def _header(scope: Scope, name: bytes) -> Optional[str]:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def refusal_reason(scope: Scope, public_host: Optional[str]) -> Optional[str]:
    """Why this control request must be refused, or None when it may go through."""
    host = _header(scope, b"host") or ""
    name = split_host(host)
    if not name or not (is_loopback(name) or (public_host and name == public_host)):
        return (
            f"Host {host!r} is not this sandbox: use 127.0.0.1 or localhost, or start the "
            "sandbox with --public-url naming this host"
        )
    own_origin = f"{scope.get('scheme', 'http')}://{host.strip().lower()}"
    origin = _header(scope, b"origin")
    # A link to the dashboard followed from another page is a GET with that page as Referer
    # and no Origin: let it through (a GET changes nothing and the other page cannot read
    # the answer). Requests that change state must come from the sandbox's own pages.
    referer = _header(scope, b"referer") if scope["method"] not in SAFE_METHODS else None
    same_origin = False
    if origin is not None:
        if origin.strip().lower() != own_origin:
            return "cross-origin requests to the control API are refused"
        same_origin = True
    elif referer is not None:
        try:
            parts = urlsplit(referer.strip())
        except ValueError:
            return "cross-origin requests to the control API are refused"
        if f"{parts.scheme}://{parts.netloc}".lower() != own_origin:
            return "cross-origin requests to the control API are refused"
        same_origin = True
    if scope["method"] in SAFE_METHODS:
        return None
    media_type = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    if media_type == "application/json":
        return None
    if media_type in FORM_TYPES and same_origin:
        return None
    return "control requests that change state need Content-Type: application/json"


class RequestGuard:
    """Pure-ASGI layer refusing foreign-Host and cross-site requests to ``/_sandbox/``."""

    def __init__(self, app: ASGIApp, public_url: Optional[str] = None) -> None:
        self.app = app
        self.public_host = split_host(urlsplit(public_url).netloc) if public_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (
            path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        ):
            reason = refusal_reason(scope, self.public_host)
            if reason is not None:
                body = json.dumps({"error": reason}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 403, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
