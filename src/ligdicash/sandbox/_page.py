"""The hosted payment page: plain HTML, one form, works without JavaScript, refuses framing."""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ._engine import Engine
from ._operators import OPERATORS, OPERATORS_BY_ID, operator_for

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}table{width:100%;border-collapse:collapse;margin:1rem 0}
td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}
.total{font-weight:bold}.badge{padding:.2rem .5rem;border-radius:.3rem;background:#eee}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}fieldset{margin:1rem 0}
.note{color:#666;font-size:.85rem}
"""

STATE_TEXT = {
    "pending": "Payment pending",
    "completed": "Payment completed",
    "nocompleted": "Payment cancelled or failed",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}"
        "<p class=note>LigdiCash sandbox: no real money moves.</p></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _amount(value: Any) -> str:
    try:
        return f"{int(float(value)):,}".replace(",", " ")
    except (TypeError, ValueError):
        return escape(str(value))


def _invoice_html(record: dict[str, Any]) -> str:
    details = record["details"]
    store = details.get("store", {})
    rows = "".join(
        f"<tr><td>{escape(str(item.get('name', '')))}"
        f"<br><small>{escape(str(item.get('description', '')))}</small></td>"
        f"<td class=n>{escape(str(item.get('quantity', '')))}</td>"
        f"<td class=n>{_amount(item.get('unit_price'))}</td></tr>"
        for item in details.get("items", [])
    )
    currency = escape(str(record["currency"]).upper())
    return (
        f"<h1 id=store>{escape(str(store.get('name', '')))}</h1>"
        f"<p id=description>{escape(record['description'])}</p>"
        f"<table><tr><th>Item</th><th>Qty</th><th>Unit price</th></tr>{rows}"
        f"<tr class=total><td colspan=2>Total</td>"
        f"<td class=n id=total>{_amount(record['amount'])} {currency}</td></tr></table>"
    )


def _form_html(record: dict[str, Any]) -> str:
    own = operator_for(record["customer"]) if record["customer"] else None
    choices = [own] if own is not None else list(OPERATORS)
    radios = "".join(
        f'<label><input type=radio name=operator value="{escape(op.id)}"'
        f"{' checked' if index == 0 else ''}> {escape(op.name)}</label><br>"
        for index, op in enumerate(choices)
    )
    return (
        f"<form method=post><fieldset><legend>Pay with</legend>{radios}</fieldset>"
        "<button type=submit name=action value=pay id=pay>Pay</button>"
        "<button type=submit name=action value=cancel id=cancel>Cancel</button></form>"
    )


def _state_html(record: dict[str, Any]) -> str:
    text = escape(STATE_TEXT.get(record["status"], record["status"]))
    return f"<p>State: <span class=badge id=state>{text}</span></p>"


def _not_found() -> HTMLResponse:
    return _page("Invoice not found", "<h1>Invoice not found</h1>", status=404)


def _hosted(engine: Engine, token: str) -> dict[str, Any] | None:
    record = engine.store.get(token)
    if record is None or record["kind"] != "payin" or record["flow"] != "hosted":
        return None
    return record


async def show_invoice(request: Request) -> Response:
    """GET: the invoice with the operator choice, or its final state."""
    engine: Engine = request.app.state.engine
    record = _hosted(engine, request.path_params["token"])
    if record is None:
        return _not_found()
    body = _invoice_html(record)
    body += _form_html(record) if record["status"] == "pending" else _state_html(record)
    return _page("LigdiCash - Payment", body)


async def submit_invoice(request: Request) -> Response:
    """POST: Pay (``action=pay``, ``operator=<id>``) or Cancel (``action=cancel``)."""
    engine: Engine = request.app.state.engine
    token = request.path_params["token"]
    record = _hosted(engine, token)
    if record is None:
        return _not_found()
    if record["status"] != "pending":
        body = _invoice_html(record) + _state_html(record)
        return _page("LigdiCash - Payment", body, status=409)
    form = await request.form()
    action = str(form.get("action", ""))
    if action == "cancel":
        engine.set_status(token, "nocompleted")
        target = record["cancel_url"]
    elif action == "pay":
        operator = OPERATORS_BY_ID.get(str(form.get("operator", "")))
        if operator is None:
            body = _invoice_html(record) + "<p>Choose an operator.</p>" + _form_html(record)
            return _page("LigdiCash - Payment", body, status=400)
        engine.pay_hosted(token, operator)
        target = record["return_url"]
    else:
        return _page("Bad request", "<h1>Unknown action</h1>", status=400)
    if not target:
        fresh = engine.store.get(token) or record
        return _page("LigdiCash - Payment", _invoice_html(fresh) + _state_html(fresh))
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
