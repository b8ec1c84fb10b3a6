"""The hosted payment page: a plain HTML form that pays or cancels, escapes, refuses framing."""

from __future__ import annotations

import re

import httpx
import pytest
from sandbox_helpers import confirm, create, payin_body

from ligdicash.sandbox import Sandbox

HOSTED = "redirect/checkout-invoice/create"


def _invoice(api: httpx.Client, **changes: object) -> str:
    token: str = create(api, HOSTED, payin_body(**changes))["token"]
    return token


@pytest.fixture
def browser(sb: Sandbox) -> httpx.Client:
    with httpx.Client(base_url=sb.url, trust_env=False) as client:
        yield client  # type: ignore[misc]


def test_the_page_shows_store_items_total_operators_and_two_buttons(
    api: httpx.Client, browser: httpx.Client
) -> None:
    page = browser.get(f"/pay/invoice/{_invoice(api)}")

    assert page.status_code == 200
    html = page.text
    assert "MySuperStore" in html
    assert "Kente shirt" in html
    assert "Shipping fee" in html
    assert re.search(r"id=total>31,500 XOF", html)
    # Every sandbox operator, with the ids of LigdiCash's supported-operators table.
    ids = re.findall(r"type=radio name=operator value=\"(\w+)\"", html)
    assert ids == ["11", "12", "1", "2", "16", "14", "15", "33", "51", "18", "27", "28", "29", "34"]
    assert "ORANGE BURKINA" in html
    assert "MOOV AFRICA BURKINA" in html
    assert "<form method=post>" in html
    assert "value=pay" in html
    assert "value=cancel" in html
    assert "<script" not in html


def test_the_page_refuses_to_be_framed(api: httpx.Client, browser: httpx.Client) -> None:
    page = browser.get(f"/pay/invoice/{_invoice(api)}")

    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_user_text_is_escaped(api: httpx.Client, browser: httpx.Client) -> None:
    body = payin_body(description="<script>alert(1)</script>")
    body["commande"]["store"]["name"] = '"><img src=x onerror=alert(2)>'
    body["commande"]["invoice"]["items"][0]["name"] = "<b>bold</b>"
    token = create(api, HOSTED, body)["token"]

    html = browser.get(f"/pay/invoice/{token}").text

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_pay_completes_the_invoice_and_redirects_to_return_url(
    api: httpx.Client, browser: httpx.Client
) -> None:
    token = _invoice(api)

    answer = browser.post(f"/pay/invoice/{token}", data={"action": "pay", "operator": "12"})

    assert answer.status_code == 303
    assert answer.headers["location"] == "https://mysuperstore.com/order/success"
    status = confirm(api, "payin", token)
    assert status["status"] == "completed"
    assert status["operator_name"] == "MOOV AFRICA BURKINA"


def test_cancel_ends_the_invoice_nocompleted_and_redirects_to_cancel_url(
    api: httpx.Client, browser: httpx.Client
) -> None:
    token = _invoice(api)

    answer = browser.post(f"/pay/invoice/{token}", data={"action": "cancel"})

    assert answer.status_code == 303
    assert answer.headers["location"] == "https://mysuperstore.com/order/cancel"
    assert confirm(api, "payin", token)["status"] == "nocompleted"


def test_a_final_invoice_shows_its_state_without_buttons(
    api: httpx.Client, browser: httpx.Client
) -> None:
    token = _invoice(api)
    browser.post(f"/pay/invoice/{token}", data={"action": "cancel"})

    html = browser.get(f"/pay/invoice/{token}").text

    assert "id=state>Payment cancelled or failed" in html
    assert "<form" not in html
    assert "<button" not in html


def test_paying_a_final_invoice_again_changes_nothing(
    api: httpx.Client, browser: httpx.Client
) -> None:
    token = _invoice(api)
    browser.post(f"/pay/invoice/{token}", data={"action": "cancel"})

    again = browser.post(f"/pay/invoice/{token}", data={"action": "pay", "operator": "11"})

    assert again.status_code == 409
    assert confirm(api, "payin", token)["status"] == "nocompleted"


def test_pay_without_a_known_operator_is_rejected(api: httpx.Client, browser: httpx.Client) -> None:
    token = _invoice(api)
    answer = browser.post(f"/pay/invoice/{token}", data={"action": "pay", "operator": "NOPE"})
    assert answer.status_code == 400
    assert confirm(api, "payin", token)["status"] == "pending"


def test_a_customer_number_filters_the_page_to_its_operator(
    api: httpx.Client, browser: httpx.Client
) -> None:
    html = browser.get(f"/pay/invoice/{_invoice(api, customer='22660123456')}").text
    assert re.findall(r"name=operator value=\"(\w+)\"", html) == ["12"]


def test_an_unknown_invoice_page_is_a_404(browser: httpx.Client) -> None:
    assert browser.get("/pay/invoice/nope").status_code == 404


def test_a_pending_forever_invoice_stays_pending_after_pay(
    api: httpx.Client, browser: httpx.Client
) -> None:
    body = payin_body()
    body["commande"]["custom_data"]["sandbox_pending_forever"] = "1"
    token = create(api, HOSTED, body)["token"]

    answer = browser.post(f"/pay/invoice/{token}", data={"action": "pay", "operator": "11"})

    assert answer.status_code == 303
    status = confirm(api, "payin", token)
    assert (status["status"], status["operator_id"]) == ("pending", "11")
