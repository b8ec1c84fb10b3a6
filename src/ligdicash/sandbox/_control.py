"""The control API under ``/_sandbox/``: inspect and steer the sandbox from tests.

JSON in, JSON out. These paths are public and stable; they need no credentials, so the
request guard (``_guard``) refuses foreign ``Host`` names and cross-site requests, and a
sandbox should stay on the loopback interface.
"""

from __future__ import annotations

from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ._engine import STATUSES, Engine
from ._faults import FaultInjector, FaultSpecError, fault_spec
from ._record import public_record
from ._requests import decode_json

MAX_BALANCE = 10**15


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _faults(request: Request) -> FaultInjector:
    faults: FaultInjector = request.app.state.faults
    return faults


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _BadBody(Exception):
    """The control request's body is not a JSON object."""


async def _payload(request: Request) -> tuple[dict[str, Any], bool]:
    """The request's fields and whether it came from an HTML form (the dashboard).

    Raises ``_BadBody`` when a body is present but is not a JSON object (the guard has
    already refused any other content type on a state-changing request).
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True
    raw = await request.body()
    if not raw.strip():
        return {}, False
    try:
        data = decode_json(raw)
    except ValueError:
        raise _BadBody from None
    if not isinstance(data, dict):
        raise _BadBody
    return data, False


def _bad_body() -> JSONResponse:
    return _error("the body must be a JSON object (at most 512 levels deep, finite numbers)")


def _back_to_dashboard() -> Response:
    return RedirectResponse("/_sandbox/", status_code=303)


async def health(request: Request) -> Response:
    """``GET /_sandbox/health``: liveness and the non-secret settings."""
    return JSONResponse({"status": "ok", "config": _engine(request).config.public_settings()})


async def list_transactions(request: Request) -> Response:
    """``GET /_sandbox/transactions``: every transaction, newest first."""
    records = _engine(request).store.transactions()
    return JSONResponse({"transactions": [public_record(r) for r in records]})


async def get_transaction(request: Request) -> Response:
    """``GET /_sandbox/transactions/{token}``."""
    record = _engine(request).store.get(request.path_params["token"])
    if record is None:
        return _error("transaction not found", 404)
    return JSONResponse({"transaction": public_record(record)})


async def set_status(request: Request) -> Response:
    """``POST .../{token}/status`` with ``{"status": ...}``; a final status fires callbacks."""
    engine = _engine(request)
    token = request.path_params["token"]
    try:
        data, from_form = await _payload(request)
    except _BadBody:
        return _bad_body()
    status = data.get("status")
    if status == "notcompleted":  # the documented word for the API's nocompleted
        status = "nocompleted"
    if status not in STATUSES:
        return _error(f"status must be one of {', '.join(STATUSES)}")
    if engine.store.get(token) is None:
        return _error("transaction not found", 404)
    changed = engine.set_status(token, str(status))
    if from_form:
        return _back_to_dashboard()
    return _changed(engine, token, changed)


def _changed(engine: Engine, token: str, changed: bool) -> Response:
    record = engine.store.get(token)
    if record is None:  # reset meanwhile
        return _error("transaction not found", 404)
    return JSONResponse({"changed": changed, "transaction": public_record(record)})


async def approve(request: Request) -> Response:
    """``POST .../{token}/approve``: the customer approves a pending transaction."""
    engine = _engine(request)
    token = request.path_params["token"]
    if engine.store.get(token) is None:
        return _error("transaction not found", 404)
    changed = engine.approve(token)
    return _changed(engine, token, changed)


async def redeliver(request: Request) -> Response:
    """``POST .../{token}/callbacks``: send a settled transaction's callbacks again (both
    encodings, the same callback token and hash); 409 while it is still pending."""
    engine = _engine(request)
    token = request.path_params["token"]
    content_type = request.headers.get("content-type", "")
    from_form = content_type.startswith("application/x-www-form-urlencoded")
    record = engine.store.get(token)
    if record is None:
        return _error("transaction not found", 404)
    if not record.callback_url:
        return _error("this transaction has no callback_url", 409)
    if not engine.redeliver(token):
        return _error("only a completed or nocompleted transaction has callbacks", 409)
    if from_form:
        return _back_to_dashboard()
    return JSONResponse({"redelivered": True, "transaction": public_record(record)}, 202)


async def set_mode(request: Request) -> Response:
    """``POST .../{token}/mode`` with ``{"callback": "normal"|"none"|"delay:<ms>",
    "pending_forever": bool}`` (both optional)."""
    engine = _engine(request)
    try:
        data, _ = await _payload(request)
    except _BadBody:
        return _bad_body()
    pending = data.get("pending_forever")
    if pending is not None and not isinstance(pending, bool):
        return _error("pending_forever must be true or false")
    try:
        callback: Optional[str] = data.get("callback")
        if callback is not None and not isinstance(callback, str):
            raise ValueError("callback must be a string: normal, none or delay:<ms>")
        record = engine.set_mode(request.path_params["token"], callback, pending)
    except ValueError as exc:
        return _error(str(exc))
    if record is None:
        return _error("transaction not found", 404)
    return JSONResponse({"transaction": public_record(record)})


async def list_callbacks(request: Request) -> Response:
    """``GET /_sandbox/callbacks[?token=T]``: the delivery log, oldest first."""
    token = request.query_params.get("token")
    attempts = _engine(request).store.callbacks(token)
    return JSONResponse({"callbacks": [a.as_dict() for a in attempts]})


async def faults(request: Request) -> Response:
    """``GET`` lists, ``POST`` adds (``{"kind", "count", "path", "latency_ms"}``),
    ``DELETE`` clears the planned faults."""
    injector = _faults(request)
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        try:
            data, _ = await _payload(request)
            fault = injector.add(*fault_spec(data))
        except _BadBody:
            return _bad_body()
        except FaultSpecError as exc:
            return _error(str(exc))
        return JSONResponse({"fault": fault.as_dict()}, status_code=201)
    return JSONResponse({"faults": [f.as_dict() for f in injector.pending()]})


async def reset(request: Request) -> Response:
    """``POST /_sandbox/reset``: wipe transactions, callbacks and faults (config stays)."""
    _engine(request).reset()
    _faults(request).clear()
    return JSONResponse({"status": "reset"})


async def balance(request: Request) -> Response:
    """``GET`` the merchant balance; ``POST {"balance": N}`` replaces it."""
    store = _engine(request).store
    if request.method == "POST":
        try:
            data, _ = await _payload(request)
        except _BadBody:
            return _bad_body()
        value = data.get("balance")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_BALANCE:
            return _error(f"balance must be an integer between 0 and {MAX_BALANCE}")
        store.set_balance(value)
    return JSONResponse({"balance": store.balance()})


async def wallet_otps(request: Request) -> Response:
    """``GET /_sandbox/wallet-otps[?phone=P&amount=N]``: the LigdiCash Wallet OTPs texted
    and not yet used, newest first (the customer's phone, for tests and demos)."""
    phone = request.query_params.get("phone")
    amount_text = request.query_params.get("amount")
    amount: Optional[int] = None
    if amount_text is not None:
        if not amount_text.isdigit():
            return _error("amount must be a whole number")
        amount = int(amount_text)
    otps = _engine(request).wallet_otps.find(phone, amount)
    return JSONResponse({"wallet_otps": [o.as_dict() for o in otps]})
