"""Other web sites cannot drive the control API: a page from another origin (a real second
server, in a real Chromium) that posts a form or calls fetch() leaves the payment pending;
foreign Host headers (DNS rebinding) are refused; the dashboard's own buttons still work."""

from __future__ import annotations

import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import httpx
import pytest
from sandbox_helpers import create, payin_body, wait_until

from ligdicash.sandbox import CallbackReceiver, Sandbox

HOSTED = "redirect/checkout-invoice/create"
CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


class _Site:
    """A web site on another port of 127.0.0.1: a different origin from the sandbox."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = site.pages.get(self.path, "not found").encode()
                self.send_response(200 if self.path in site.pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def evil_site() -> Iterator[_Site]:
    site = _Site()
    yield site
    site.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _pending_payment(sb: Sandbox, api: httpx.Client, rx: CallbackReceiver) -> str:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = rx.callback_url
    token: str = create(api, HOSTED, body)["token"]
    return token


@pytest.mark.browser
def test_a_form_on_another_site_cannot_complete_a_payment(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, evil_site: _Site, page: Any
) -> None:
    token = _pending_payment(sb, api, receiver)
    target = f"{sb.url}/_sandbox/transactions/{token}/status"
    evil_site.pages["/win"] = (
        "<!DOCTYPE html><title>You won</title><body onload='document.forms[0].submit()'>"
        f"<form method=post action='{target}'><input type=hidden name=status value=completed>"
        "</form></body>"
    )

    with page.expect_response(target) as answer:
        page.goto(evil_site.url + "/win")

    assert answer.value.status == 403
    assert sb.transaction(token)["status"] == "pending"
    assert sb.callbacks() == []


@pytest.mark.browser
def test_fetch_from_another_site_can_neither_settle_nor_plan_faults(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, evil_site: _Site, page: Any
) -> None:
    token = _pending_payment(sb, api, receiver)
    script = f"""
    const targets = [
      ["{sb.url}/_sandbox/transactions/{token}/status", '{{"status": "completed"}}'],
      ["{sb.url}/_sandbox/faults", '{{"kind": "drop", "count": 100}}'],
      ["{sb.url}/_sandbox/transactions/{token}/approve", ''],
    ];
    const tries = [];
    for (const [url, body] of targets) {{
      tries.push(fetch(url, {{method: "POST", mode: "no-cors", body: body,
                               headers: {{"Content-Type": "text/plain"}}}}).catch(() => null));
      tries.push(fetch(url, {{method: "POST", body: body,
                               headers: {{"Content-Type": "application/json"}}}})
                 .catch(() => null));
    }}
    Promise.all(tries).then(() => {{ document.title = "done"; }});
    """
    evil_site.pages["/fetch"] = f"<!DOCTYPE html><title>busy</title><script>{script}</script>"

    page.goto(evil_site.url + "/fetch")
    page.wait_for_function("document.title === 'done'")

    assert sb.transaction(token)["status"] == "pending"
    assert sb.faults() == []
    assert sb.callbacks() == []


@pytest.mark.browser
def test_the_dashboard_buttons_still_work_in_a_browser(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, page: Any
) -> None:
    token = _pending_payment(sb, api, receiver)
    page.goto(sb.url + "/_sandbox/")
    page.locator(f'form[action="/_sandbox/transactions/{token}/status"] button').first.click()
    page.wait_for_url(sb.url + "/_sandbox/")
    assert sb.wait_for_status(token, "completed")["status"] == "completed"
    receiver.wait_for(2)

    page.locator(f'form[action="/_sandbox/transactions/{token}/callbacks"] button').click()
    page.wait_for_url(sb.url + "/_sandbox/")
    assert len(receiver.wait_for(4)) == 4


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "192.168.1.20:8765", "127.0.0.1.evil.example"]
)
def test_a_foreign_host_header_is_refused_like_a_dns_rebinding_attack(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, host: str
) -> None:
    token = _pending_payment(sb, api, receiver)
    with httpx.Client(base_url=sb.url, headers={"Host": host}, trust_env=False) as rebound:
        assert rebound.get("/_sandbox/transactions").status_code == 403
        assert rebound.get("/_sandbox/").status_code == 403
        post = rebound.post(f"/_sandbox/transactions/{token}/status", json={"status": "completed"})
        assert post.status_code == 403
        assert rebound.post("/_sandbox/faults", json={"kind": "drop"}).status_code == 403
    assert sb.transaction(token)["status"] == "pending"
    assert sb.faults() == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.2", "app.localhost"])
def test_loopback_host_names_are_accepted(sb: Sandbox, host: str) -> None:
    port = sb.url.rsplit(":", 1)[1]
    with httpx.Client(base_url=sb.url, headers={"Host": f"{host}:{port}"}) as client:
        assert client.get("/_sandbox/transactions").status_code == 200
        assert client.post("/_sandbox/balance", json={"balance": 5}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://127.0.0.1:1"},  # same host, another port: another origin
    ],
)
def test_cross_origin_control_requests_are_refused(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, headers: dict[str, str]
) -> None:
    token = _pending_payment(sb, api, receiver)
    response = httpx.post(
        f"{sb.url}/_sandbox/transactions/{token}/status",
        json={"status": "completed"},
        headers=headers,
        trust_env=False,
    )
    assert response.status_code == 403
    assert "cross-origin" in response.json()["error"]
    assert sb.transaction(token)["status"] == "pending"


def test_a_link_from_another_page_opens_the_dashboard_but_cross_origin_reads_are_refused(
    sb: Sandbox,
) -> None:
    followed = httpx.get(sb.url + "/_sandbox/", headers={"Referer": "https://github.com/x"})
    assert followed.status_code == 200
    fetched = httpx.get(sb.url + "/_sandbox/transactions", headers={"Origin": "http://evil.x"})
    assert fetched.status_code == 403


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("status=completed", "application/x-www-form-urlencoded"),  # a form, no Origin
        ('{"status": "completed"}', "text/plain"),  # a "simple" cross-site fetch
        ("", None),
    ],
)
def test_state_changes_need_json_or_a_same_origin_form(
    sb: Sandbox,
    api: httpx.Client,
    receiver: CallbackReceiver,
    content: str,
    content_type: str | None,
) -> None:
    token = _pending_payment(sb, api, receiver)
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(
        f"{sb.url}/_sandbox/transactions/{token}/status",
        content=content,
        headers=headers,
        trust_env=False,
    )
    assert response.status_code == 403
    assert "application/json" in response.json()["error"]
    assert sb.transaction(token)["status"] == "pending"


def test_same_origin_json_and_dashboard_forms_are_accepted(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    first = _pending_payment(sb, api, receiver)
    second = _pending_payment(sb, api, receiver)
    as_json = httpx.post(
        f"{sb.url}/_sandbox/transactions/{first}/status",
        json={"status": "completed"},
        headers={"Origin": sb.url},
    )
    assert as_json.status_code == 200
    as_form = httpx.post(
        f"{sb.url}/_sandbox/transactions/{second}/status",
        data={"status": "nocompleted"},
        headers={"Referer": sb.url + "/_sandbox/"},
    )
    assert as_form.status_code == 303
    assert sb.transaction(second)["status"] == "nocompleted"


def test_the_public_url_host_is_accepted_and_the_api_ignores_the_host(make_sandbox: Any) -> None:
    sb = make_sandbox(public_url="http://sandbox.internal:8765")
    port = sb.url.rsplit(":", 1)[1]
    with httpx.Client(
        base_url=sb.url, headers={"Host": "sandbox.internal:8765"}, trust_env=False
    ) as client:
        assert client.get("/_sandbox/transactions").status_code == 200
    # The API needs its credentials, and a docker-compose service reaches it by name.
    with httpx.Client(
        base_url=sb.base_url,
        headers={**sb.auth_headers, "Host": f"payments.internal:{port}"},
        trust_env=False,
    ) as other:
        assert other.post(HOSTED, json=payin_body()).json()["response_code"] == "00"


def test_binding_beyond_loopback_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ligdicash.sandbox"):
        with Sandbox(host="0.0.0.0") as sb:
            assert sb.running
    assert any("beyond this machine" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(document.domain)", "data:text/html,<h1>x</h1>", "//evil.example/x", " "],
)
def test_the_payment_page_never_redirects_to_a_non_http_url(
    sb: Sandbox, api: httpx.Client, url: str
) -> None:
    body = payin_body()
    body["commande"]["actions"]["return_url"] = url
    body["commande"]["actions"]["cancel_url"] = url
    pay, cancel = (create(api, HOSTED, body)["response_text"] for _ in range(2))

    paid = httpx.post(pay, data={"action": "pay", "operator": "11"}, follow_redirects=False)
    cancelled = httpx.post(cancel, data={"action": "cancel"}, follow_redirects=False)

    for answer, state in ((paid, "Payment completed"), (cancelled, "Payment cancelled")):
        assert answer.status_code == 200
        assert "location" not in answer.headers
        assert state in answer.text
    wait_until(lambda: all(t["status"] != "pending" for t in sb.transactions()))
