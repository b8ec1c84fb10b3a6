"""The LigdiCash API endpoints (``/pay/v01/...``) as a lean pure-ASGI application.

Kept free of framework overhead because status polling is the hot path: an auth check on
pre-encoded bytes, a cached JSON body, two ``send`` calls.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Optional
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from . import _codes
from ._codes import Family
from ._config import API_PREFIX, API_V02_PREFIX, SandboxConfig
from ._engine import Engine
from ._limits import MAX_BODY
from ._requests import Refused, decode_body

_JSON_HEADERS = [(b"content-type", b"application/json; charset=UTF-8")]

CREATE_ROUTES: dict[str, tuple[Family, str]] = {
    "redirect/checkout-invoice/create": ("payin", "hosted"),
    "straight/checkout-invoice/create": ("payin", "direct"),
    "withdrawal/create": ("client_payout", "client_payout"),
    "straight/payout": ("merchant_payout", "merchant_payout"),
}
CONFIRM_ROUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # The provider's pages disagree on the payin parameter: the endpoint reference and the
    # status-verification pages write `token`, the guides' sources and the provider's SDKs
    # `invoiceToken` (what this SDK sends). Both are accepted; the first one present wins.
    "redirect/checkout-invoice/confirm": (("payin",), ("invoiceToken", "token")),
    # The documented payout status route, for the tokens of both payout kinds.
    "withdrawal/confirm": (("client_payout", "merchant_payout"), ("withdrawalToken",)),
    # The older merchant-payout route the docs never list (still served).
    "straight/payout/confirm": (("merchant_payout",), ("payoutToken",)),
}
WALLET_OTP_ROUTE = "debitotp/"
WALLET_PAYIN_ROUTE = "debitwallet/withotp"


def _header(scope: Scope, name: bytes) -> Optional[bytes]:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _query_value(query: bytes, key: str) -> Optional[str]:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == key:
            return value
    return None


def _first_query_value(query: bytes, keys: tuple[str, ...]) -> Optional[str]:
    """The value of the first of ``keys`` the query string carries (``None`` if none)."""
    for key in keys:
        value = _query_value(query, key)
        if value is not None:
            return value
    return None


async def _read_body(receive: Receive) -> Optional[bytes]:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks += message.get("body", b"")
        if len(chunks) > MAX_BODY:
            return None
        if not message.get("more_body", False):
            return bytes(chunks)


async def _send_json(send: Send, body: bytes, status: int = 200) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


class ApiApp:
    """Routes API paths to the engine and everything else to ``fallback``."""

    def __init__(self, engine: Engine, config: SandboxConfig, fallback: ASGIApp) -> None:
        self.engine = engine
        self.config = config
        self.fallback = fallback
        self._api_key = config.api_key.encode()
        self._bearer = b"bearer " + config.auth_token.encode()
        self._auth_refusals = {
            family: _dumps(_codes.refusal(family, _codes.AUTHENTICATION, "Authentication failed"))
            for family in ("payin", "client_payout", "merchant_payout", "status")
        }

    def _authorised(self, scope: Scope) -> bool:
        key = _header(scope, b"apikey") or b""
        auth = _header(scope, b"authorization") or b""
        if auth[:7].lower() == b"bearer ":
            auth = b"bearer " + auth[7:].strip()
        key_ok = hmac.compare_digest(key.strip(), self._api_key)
        auth_ok = hmac.compare_digest(auth, self._bearer)
        return key_ok and auth_ok

    def _page_root(self, scope: Scope) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/") + "/"
        host = (_header(scope, b"host") or b"").decode("latin-1")
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(API_V02_PREFIX):
            await self._v02(path[len(API_V02_PREFIX) :], scope, receive, send)
            return
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.fallback(scope, receive, send)
            return
        route = path[len(API_PREFIX) :].rstrip("/")
        confirm = CONFIRM_ROUTES.get(route)
        if confirm is not None:
            if not self._authorised(scope):
                await _send_json(send, self._auth_refusals["status"])
                return
            kinds, params = confirm
            token = _first_query_value(scope["query_string"], params)
            if token is None:
                body = _dumps(_codes.missing_key("status", params[0]))
            else:
                body = self.engine.confirm(kinds, token.strip())
            await _send_json(send, body)
            return
        create = CREATE_ROUTES.get(route)
        if create is None:
            await _send_json(send, b'{"message":"Not Found"}', status=404)
            return
        family, flow = create
        if not self._authorised(scope):
            await _send_json(send, self._auth_refusals[family])
            return
        if scope["method"] != "POST":
            if family == "payin":
                refusal = _codes.refusal(family, _codes.INVALID_METHOD_PAYIN, "Invalid method")
                await _send_json(send, _dumps(refusal))
            else:
                await _send_json(send, b'{"message":"Method Not Allowed"}', status=405)
            return
        raw = await _read_body(receive)
        if raw is None:
            await _send_json(send, b'{"message":"Payload Too Large"}', status=413)
            return
        try:
            data: Any = decode_body(raw, family)
        except Refused as refused:
            await _send_json(send, _dumps(refused.answer))
            return
        if family == "payin":
            answer = self.engine.create_payin(data, flow, self._page_root(scope))
        else:
            answer = self.engine.create_payout(data, flow)
        await _send_json(send, _dumps(answer))

    async def _v02(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        """The LigdiCash Wallet endpoints: ``GET debitotp/{phone}/{amount}`` and
        ``POST debitwallet/withotp``."""
        if route.startswith(WALLET_OTP_ROUTE):
            phone, _, amount = route[len(WALLET_OTP_ROUTE) :].rstrip("/").partition("/")
            if not phone or not amount or "/" in amount:
                await _send_json(send, b'{"message":"Not Found"}', status=404)
            elif not self._authorised(scope):
                await _send_json(send, self._auth_refusals["payin"])
            elif scope["method"] != "GET":
                await _send_json(send, b'{"message":"Method Not Allowed"}', status=405)
            else:
                await _send_json(send, _dumps(self.engine.send_wallet_otp(phone, amount)))
            return
        if route.rstrip("/") != WALLET_PAYIN_ROUTE:
            await _send_json(send, b'{"message":"Not Found"}', status=404)
            return
        if not self._authorised(scope):
            await _send_json(send, self._auth_refusals["payin"])
            return
        if scope["method"] != "POST":
            refusal = _codes.refusal("payin", _codes.INVALID_METHOD_PAYIN, "Invalid method")
            await _send_json(send, _dumps(refusal))
            return
        raw = await _read_body(receive)
        if raw is None:
            await _send_json(send, b'{"message":"Payload Too Large"}', status=413)
            return
        try:
            data: Any = decode_body(raw, "payin")
        except Refused as refused:
            await _send_json(send, _dumps(refused.answer))
            return
        await _send_json(send, _dumps(self.engine.create_wallet_payin(data)))
