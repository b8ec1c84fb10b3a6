"""The hosted payment page: plain HTML, one form, works without JavaScript, refuses framing.

It speaks the customer's language, French or English (``?lang=``, else ``Accept-Language``,
else the sandbox's ``SandboxConfig.language``; the words are in ``ligdicash._i18n``). The
form posts back to the same URL, query included, so a ``?lang=`` choice survives the click."""

from __future__ import annotations

import math
from html import escape
from typing import Any, Optional
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .._i18n import DEFAULT, format_number, language_from_request, message
from ._engine import Engine
from ._operators import OPERATORS, OPERATORS_BY_ID, operator_for
from ._record import Transaction

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

STATE_KEYS = {
    "pending": "page.state_pending",
    "completed": "page.state_completed",
    "nocompleted": "page.state_nocompleted",
}


def request_language(request: Request) -> str:
    """``"fr"`` or ``"en"`` for this request: ``?lang=``, else ``Accept-Language``, else the
    sandbox's ``SandboxConfig.language``."""
    engine: Engine = request.app.state.engine
    return language_from_request(
        request.headers.get("accept-language"),
        request.query_params.get("lang"),
        default=engine.config.language,
    )


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f"<!DOCTYPE html><html lang={lang}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}"
        f"<p class=note>{escape(message(lang, 'page.note'))}</p></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def format_amount(value: Any, language: str = DEFAULT) -> str:
    """An amount for people, written the way ``language`` writes numbers (``31,500`` in
    English, ``31\u202f500`` in French: ``ligdicash._i18n.format_number``), HTML-escaped.

    Whatever the request put there (a string, a huge or non-finite number), this never
    raises: the page and the dashboard must stay readable.
    """
    if isinstance(value, bool):
        return escape(str(value))
    if isinstance(value, int):
        number: Optional[float] = float(value) if abs(value) < 10**18 else None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
    if number is None or not math.isfinite(number) or abs(number) >= 1e18:
        return escape(str(value)[:40])
    whole = int(number)
    return format_number(number, language, decimals=0 if number == whole else 2)


def safe_redirect(url: str) -> Optional[str]:
    """``url`` if it is an absolute ``http(s)`` URL, else None (never redirect to
    ``javascript:``, ``data:`` or another scheme a merchant could not have meant)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def _invoice_html(lang: str, record: Transaction) -> str:
    details = record.details
    store = details.get("store")
    store_name = str(store.get("name", "")) if isinstance(store, dict) else ""
    items = details.get("items")
    rows = "".join(
        f"<tr><td>{escape(str(item.get('name', '')))}"
        f"<br><small>{escape(str(item.get('description', '')))}</small></td>"
        f"<td class=n>{escape(str(item.get('quantity', '')))}</td>"
        f"<td class=n>{format_amount(item.get('unit_price'), lang)}</td></tr>"
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    )
    currency = escape(str(record.currency).upper())
    heading = f"<h1 id=store>{escape(store_name)}</h1>" if store_name.strip() else ""
    return (
        f"{heading}<p id=description>{escape(record.description)}</p>"
        f"<table><tr><th>{message(lang, 'page.item')}</th>"
        f"<th>{message(lang, 'page.quantity')}</th>"
        f"<th>{message(lang, 'page.unit_price')}</th></tr>{rows}"
        f"<tr class=total><td colspan=2>{message(lang, 'page.total')}</td>"
        f"<td class=n id=total>{format_amount(record.amount, lang)} {currency}</td></tr></table>"
    )


def _form_html(lang: str, record: Transaction) -> str:
    own = operator_for(record.customer) if record.customer else None
    choices = [own] if own is not None else list(OPERATORS)
    radios = "".join(
        f'<label><input type=radio name=operator value="{escape(op.id)}"'
        f"{' checked' if index == 0 else ''}> {escape(op.name)}</label><br>"
        for index, op in enumerate(choices)
    )
    return (
        f"<form method=post><fieldset><legend>{message(lang, 'page.pay_with')}</legend>"
        f"{radios}</fieldset>"
        f"<button type=submit name=action value=pay id=pay>{message(lang, 'page.pay')}</button>"
        "<button type=submit name=action value=cancel id=cancel>"
        f"{message(lang, 'page.cancel')}</button></form>"
    )


def _state_html(lang: str, record: Transaction) -> str:
    key = STATE_KEYS.get(record.status)
    text = escape(message(lang, key) if key else record.status)
    return f"<p>{message(lang, 'page.state')} <span class=badge id=state>{text}</span></p>"


def _not_found(lang: str) -> HTMLResponse:
    title = message(lang, "page.not_found")
    return _page(lang, title, f"<h1>{title}</h1>", status=404)


def _hosted(engine: Engine, token: str) -> Optional[Transaction]:
    """A hosted payin, or a direct one whose operator redirects the customer to a page."""
    record = engine.store.get(token)
    if record is None or record.kind != "payin":
        return None
    if record.flow == "hosted":
        return record
    operator = operator_for(record.customer)
    return record if operator is not None and operator.mode == "redirect" else None


async def show_invoice(request: Request) -> Response:
    """GET: the invoice with the operator choice, or its final state."""
    engine: Engine = request.app.state.engine
    lang = request_language(request)
    record = _hosted(engine, request.path_params["token"])
    if record is None:
        return _not_found(lang)
    body = _invoice_html(lang, record)
    body += _form_html(lang, record) if record.status == "pending" else _state_html(lang, record)
    return _page(lang, message(lang, "page.title"), body)


async def submit_invoice(request: Request) -> Response:
    """POST: Pay (``action=pay``, ``operator=<id>``) or Cancel (``action=cancel``)."""
    engine: Engine = request.app.state.engine
    token = request.path_params["token"]
    lang = request_language(request)
    title = message(lang, "page.title")
    record = _hosted(engine, token)
    if record is None:
        return _not_found(lang)
    if record.status != "pending":
        body = _invoice_html(lang, record) + _state_html(lang, record)
        return _page(lang, title, body, status=409)
    form = await request.form()
    action = str(form.get("action", ""))
    if action == "cancel":
        engine.set_status(token, "nocompleted")
        target = record.cancel_url
    elif action == "pay":
        operator = OPERATORS_BY_ID.get(str(form.get("operator", "")))
        own = operator_for(record.customer) if record.customer else None
        if operator is None or (own is not None and operator is not own):
            # Only the operators the page offered: the customer's own one when it is known.
            choose = f"<p>{message(lang, 'page.choose_operator')}</p>"
            body = _invoice_html(lang, record) + choose + _form_html(lang, record)
            return _page(lang, title, body, status=400)
        engine.pay_hosted(token, operator)
        target = record.return_url
    else:
        unknown = f"<h1>{message(lang, 'page.unknown_action')}</h1>"
        return _page(lang, message(lang, "page.bad_request"), unknown, status=400)
    location = safe_redirect(target)
    if location is None:
        fresh = engine.store.get(token) or record
        return _page(lang, title, _invoice_html(lang, fresh) + _state_html(lang, fresh))
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)
