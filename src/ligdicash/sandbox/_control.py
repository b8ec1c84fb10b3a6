"""The control API under ``/_sandbox/``: inspect and steer the sandbox from tests.

JSON in, JSON out. These paths are public and stable; they need no credentials, so never
expose a sandbox beyond the loopback interface.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ._engine import STATUSES, Engine
from ._faults import FaultInjector
from ._views import public_record


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _faults(request: Request) -> FaultInjector:
    faults: FaultInjector = request.app.state.faults
    return faults


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _payload(request: Request) -> tuple[dict[str, Any], bool]:
    """The request's fields and whether it came from an HTML form (the dashboard)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True
    raw = await request.body()
    if not raw.strip():
        return {}, False
    try:
        data = await request.json()
    except ValueError:
        return {"__invalid__": True}, False
    return (data if isinstance(data, dict) else {"__invalid__": True}), False


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
    data, from_form = await _payload(request)
    status = data.get("status")
    if status not in STATUSES:
        return _error(f"status must be one of {', '.join(STATUSES)}")
    if engine.store.get(token) is None:
        return _error("transaction not found", 404)
    changed = engine.set_status(token, str(status))
    if from_form:
        return _back_to_dashboard()
    record = engine.store.get(token)
    return JSONResponse({"changed": changed, "transaction": public_record(record or {})})


async def approve(request: Request) -> Response:
    """``POST .../{token}/approve``: the customer approves a pending transaction."""
    engine = _engine(request)
    token = request.path_params["token"]
    if engine.store.get(token) is None:
        return _error("transaction not found", 404)
    changed = engine.approve(token)
    record = engine.store.get(token)
    return JSONResponse({"changed": changed, "transaction": public_record(record or {})})


async def set_mode(request: Request) -> Response:
    """``POST .../{token}/mode`` with ``{"callback": "normal"|"none"|"delay:<ms>",
    "pending_forever": bool}`` (both optional)."""
    engine = _engine(request)
    data, _ = await _payload(request)
    pending = data.get("pending_forever")
    if pending is not None and not isinstance(pending, bool):
        return _error("pending_forever must be true or false")
    try:
        record = engine.set_mode(request.path_params["token"], data.get("callback"), pending)
    except ValueError as exc:
        return _error(str(exc))
    if record is None:
        return _error("transaction not found", 404)
    return JSONResponse({"transaction": public_record(record)})


async def list_callbacks(request: Request) -> Response:
    """``GET /_sandbox/callbacks[?token=T]``: the delivery log, oldest first."""
    token = request.query_params.get("token")
    return JSONResponse({"callbacks": _engine(request).store.callbacks(token)})


async def faults(request: Request) -> Response:
    """``GET`` lists, ``POST`` adds (``{"kind", "count", "path", "latency_ms"}``),
    ``DELETE`` clears the planned faults."""
    injector = _faults(request)
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        data, _ = await _payload(request)
        try:
            count = int(data.get("count", 1))
            latency = data.get("latency_ms")
            fault = injector.add(
                str(data.get("kind")),
                count,
                data.get("path"),
                None if latency is None else int(latency),
            )
        except (TypeError, ValueError) as exc:
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
        data, _ = await _payload(request)
        value = data.get("balance")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return _error("balance must be a non-negative integer")
        store.set_balance(value)
    return JSONResponse({"balance": store.balance()})
