"""A small HTML dashboard at ``/_sandbox/``: transactions, their states, the callback log."""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ._engine import Engine
from ._page import SECURITY_HEADERS

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;font-size:14px}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}
td,th{padding:.25rem .4rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
code{font-size:12px}.pending{color:#a60}.completed{color:#080}.nocompleted{color:#b00}
form{display:inline}button{font-size:12px}
"""


def _short(token: str) -> str:
    return token[:12] + "..." + token[-8:] if len(token) > 24 else token


def _tx_row(record: dict[str, Any]) -> str:
    token = escape(record["token"])
    status = escape(record["status"])
    actions = ""
    if record["status"] == "pending":
        for target in ("completed", "nocompleted"):
            actions += (
                f'<form method=post action="/_sandbox/transactions/{token}/status">'
                f"<input type=hidden name=status value={target}>"
                f"<button type=submit>{target}</button></form> "
            )
    cells = [
        str(record["id"]),
        f'<code title="{token}">{escape(_short(record["token"]))}</code>',
        escape(record["kind"]),
        escape(record["flow"]),
        f"<span class={status}>{status}</span>",
        escape(str(record["amount"])),
        escape(record["customer"]),
        escape(record["operator_name"]),
        escape(record["created_at"]),
        actions,
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _callback_row(entry: dict[str, Any]) -> str:
    cells = [
        escape(entry["at"]),
        f"<code>{escape(_short(entry['tx_token']))}</code>",
        escape(entry["url"]),
        escape(entry["content_type"]),
        escape(str(entry["attempt"])),
        escape(str(entry["response_status"] or "")),
        escape(entry["error"] or ""),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


async def dashboard(request: Request) -> Response:
    """``GET /_sandbox/``: the dashboard page (refreshes itself every 5 s, no JavaScript)."""
    engine: Engine = request.app.state.engine
    config = engine.config
    transactions = "".join(_tx_row(r) for r in engine.store.transactions()[:200])
    callbacks = "".join(_callback_row(c) for c in engine.store.callbacks()[-200:])
    html = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=refresh content=5><title>LigdiCash sandbox</title>"
        f"<style>{_STYLE}</style></head><body><h1>LigdiCash sandbox</h1>"
        f"<p>Platform <b>{escape(config.platform)}</b> - merchant balance "
        f"<b id=balance>{engine.store.balance()}</b> XOF - API root "
        "<code>/pay/v01/</code></p>"
        "<h2>Transactions</h2><table><tr><th>#</th><th>token</th><th>kind</th><th>flow</th>"
        "<th>status</th><th>amount</th><th>customer</th><th>operator</th><th>created</th>"
        f"<th>set status</th></tr>{transactions}</table>"
        "<h2>Callback deliveries</h2><table><tr><th>at</th><th>transaction</th><th>url</th>"
        "<th>content type</th><th>attempt</th><th>HTTP</th><th>error</th></tr>"
        f"{callbacks}</table></body></html>"
    )
    return HTMLResponse(html, headers=SECURITY_HEADERS)
