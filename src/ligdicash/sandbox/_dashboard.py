"""A small HTML dashboard at ``/_sandbox/``: transactions, their states, the callback log,
and the LigdiCash Wallet OTPs waiting to be typed (the customer's phone).

Both lists are newest first. It speaks French or English like the payment page (``?lang=``,
else ``Accept-Language``, else ``SandboxConfig.language``); the status values and the actions'
targets stay the API's words (``completed``, ``nocompleted``). Its buttons are plain
same-origin forms (no JavaScript), which the request guard (``_guard``) accepts; a form on any
other site is refused.
"""

from __future__ import annotations

import json
import time
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .._i18n import message
from ._engine import FINAL, Engine
from ._page import SECURITY_HEADERS, format_amount, request_language
from ._record import CallbackAttempt, Transaction
from ._wallet import WalletOtp

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;font-size:14px}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}
td,th{padding:.25rem .4rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}
code{font-size:12px}.pending{color:#a60}.completed{color:#080}.nocompleted{color:#b00}
form{display:inline}button{font-size:12px}
"""

# The dashboard's forms must carry an Origin the guard can check: "no-referrer" would make
# browsers send "Origin: null" with them.
HEADERS = {**SECURITY_HEADERS, "Referrer-Policy": "same-origin"}
SHOWN = 200


def _short(token: str) -> str:
    return token[:12] + "..." + token[-8:] if len(token) > 24 else token


def _button(token: str, action: str, label: str, field: str = "") -> str:
    return (
        f'<form method=post action="/_sandbox/transactions/{token}/{action}">{field}'
        f"<button type=submit>{label}</button></form> "
    )


def _actions(lang: str, record: Transaction) -> str:
    token = escape(record.token)
    html = ""
    if record.status == "pending":
        for target in ("completed", "nocompleted"):
            field = f"<input type=hidden name=status value={target}>"
            html += _button(token, "status", target, field)
    elif record.status in FINAL and record.callback_url:
        html += _button(token, "callbacks", message(lang, "dash.redeliver"))
    return html


def _custom_data(record: Transaction) -> str:
    if not record.custom_data:
        return ""
    text = json.dumps(record.custom_data, ensure_ascii=False, default=str)
    return f"<code>{escape(text[:200])}</code>"


def _tx_row(lang: str, record: Transaction) -> str:
    token = escape(record.token)
    status = escape(record.status)
    short = f'<code title="{token}">{escape(_short(record.token))}</code>'
    if record.kind == "payin" and record.flow == "hosted":
        label = message(lang, "dash.payment_page")
        short = f'<a href="/pay/invoice/{token}" title="{label}">{short}</a>'
    cells = [
        str(record.id),
        short,
        escape(record.order_id),
        escape(record.kind),
        escape(record.flow),
        f"<span class={status}>{status}</span>",
        format_amount(record.amount, lang),
        escape(record.customer),
        escape(record.operator_name),
        _custom_data(record),
        escape(record.created_at),
        _actions(lang, record),
    ]
    classes = ["", "", "", "", "", "", " class=n", "", "", "", "", ""]
    return "<tr>" + "".join(f"<td{c}>{cell}</td>" for c, cell in zip(classes, cells)) + "</tr>"


def _otp_row(lang: str, otp: WalletOtp) -> str:
    until = time.strftime("%H:%M:%S", time.localtime(otp.expires_at))
    cells = [
        escape(otp.phone),
        format_amount(otp.amount, lang),
        f"<code>{escape(otp.otp)}</code>",
        escape(until),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _callback_row(entry: CallbackAttempt) -> str:
    cells = [
        escape(entry.at),
        f"<code>{escape(_short(entry.tx_token))}</code>",
        escape(entry.url),
        escape(entry.content_type),
        escape(str(entry.attempt)),
        escape(str(entry.response_status or "")),
        escape(entry.error or ""),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


async def dashboard(request: Request) -> Response:
    """``GET /_sandbox/``: the dashboard page (refreshes itself every 5 s, no JavaScript)."""
    engine: Engine = request.app.state.engine
    config = engine.config
    lang = request_language(request)

    def columns(*keys: str) -> str:
        return "".join(f"<th>{message(lang, key) if '.' in key else key}</th>" for key in keys)

    title = message(lang, "dash.title")
    newest = f" <small>{message(lang, 'dash.newest_first')}</small>"
    # Transactions are feminine in French: "les plus récentes".
    newest_transactions = f" <small>{message(lang, 'dash.newest_transactions_first')}</small>"
    summary = message(
        lang,
        "dash.summary",
        platform=escape(config.platform),
        balance=format_amount(engine.store.balance(), lang),
    )
    transactions = "".join(_tx_row(lang, r) for r in engine.store.transactions()[:SHOWN])
    attempts = engine.store.callbacks()
    callbacks = "".join(_callback_row(c) for c in reversed(attempts[-SHOWN:]))
    tx_columns = columns(
        "#",
        "dash.col_token",
        "dash.col_order_id",
        "dash.col_kind",
        "dash.col_flow",
        "dash.col_status",
        "dash.col_amount",
        "dash.col_customer",
        "dash.col_operator",
        "custom_data",
        "dash.col_created",
        "dash.col_actions",
    )
    callback_columns = columns(
        "dash.col_at",
        "dash.col_transaction",
        "dash.col_url",
        "dash.col_content_type",
        "dash.col_attempt",
        "HTTP",
        "dash.col_error",
    )
    otps = engine.wallet_otps.find()
    wallet = ""
    if otps:  # shown only once a wallet OTP was texted
        otp_columns = columns(
            "dash.col_customer", "dash.col_amount", "dash.col_otp", "dash.col_expires"
        )
        rows = "".join(_otp_row(lang, o) for o in otps[:SHOWN])
        wallet = (
            f"<h2>{message(lang, 'dash.wallet_otps')}{newest}</h2><table id=wallet-otps>"
            f"<tr>{otp_columns}</tr>{rows}</table>"
        )
    html = (
        f"<!DOCTYPE html><html lang={lang}><head><meta charset=utf-8>"
        f"<meta http-equiv=refresh content=5><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1><p>{summary}</p>"
        f"<h2>{message(lang, 'dash.transactions')}{newest_transactions}</h2><table id=transactions>"
        f"<tr>{tx_columns}</tr>{transactions}</table>{wallet}"
        f"<h2>{message(lang, 'dash.callbacks')}{newest}</h2><table id=callbacks>"
        f"<tr>{callback_columns}</tr>{callbacks}</table></body></html>"
    )
    return HTMLResponse(html, headers=HEADERS)
