"""The control API under /_sandbox/ and the dashboard."""

from __future__ import annotations

import httpx
import pytest
from sandbox_helpers import confirm, create, payin_body

from ligdicash.sandbox import Sandbox, SandboxClient, SandboxError

HOSTED = "redirect/checkout-invoice/create"


def test_transactions_are_listed_newest_first_with_their_details(
    sb: Sandbox, api: httpx.Client
) -> None:
    first = create(api, HOSTED, payin_body())["token"]
    second = create(api, HOSTED, payin_body(description="second"))["token"]

    listed = sb.transactions()

    assert [t["token"] for t in listed] == [second, first]
    assert listed[0]["description"] == "second"
    assert listed[0]["custom_data"] == {"transaction_id": "ORD-20240512"}
    assert listed[0]["details"]["items"][0]["unit_price"] == 15000


def test_setting_a_status_is_seen_by_the_status_endpoint(sb: Sandbox, api: httpx.Client) -> None:
    token = create(api, HOSTED, payin_body())["token"]

    assert sb.set_status(token, "completed")["status"] == "completed"
    assert confirm(api, "payin", token)["status"] == "completed"
    assert sb.set_status(token, "pending")["status"] == "pending"
    assert confirm(api, "payin", token)["status"] == "pending"


def test_an_unknown_transaction_or_status_is_refused(sb: Sandbox, api: httpx.Client) -> None:
    with pytest.raises(SandboxError, match="not found"):
        sb.transaction("nope")
    with pytest.raises(SandboxError, match="not found"):
        sb.set_status("nope", "completed")
    token = create(api, HOSTED, payin_body())["token"]
    with pytest.raises(SandboxError, match="status must be"):
        sb.set_status(token, "paid")


def test_the_balance_can_be_read_and_replaced(sb: Sandbox) -> None:
    assert sb.balance() == 10_000_000
    assert sb.set_balance(42) == 42
    with pytest.raises(SandboxError):
        sb.set_balance(-1)


def test_a_client_handle_drives_a_sandbox_by_url(sb: Sandbox) -> None:
    handle = SandboxClient(sb.url)
    try:
        assert handle.base_url == sb.base_url
        assert handle.balance() == sb.balance()
    finally:
        handle.close()


def test_health_shows_settings_but_never_the_credentials(sb: Sandbox) -> None:
    body = httpx.get(sb.url + "/_sandbox/health").text
    assert '"status":"ok"' in body
    assert sb.api_key not in body
    assert sb.auth_token not in body


def test_the_dashboard_lists_transactions_escaped_and_can_settle_them_without_js(
    sb: Sandbox, api: httpx.Client
) -> None:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = "http://127.0.0.1:9/<i>x</i>"
    logged = create(api, HOSTED, body)["token"]
    sb.set_status(logged, "completed")
    sb.wait_for_callbacks(1, token=logged, delivered=False)
    token = create(api, HOSTED, payin_body())["token"]

    page = httpx.get(sb.url + "/_sandbox/")
    assert page.status_code == 200
    assert token[:12] in page.text
    assert "http://127.0.0.1:9/&lt;i&gt;x&lt;/i&gt;" in page.text
    assert "<i>x</i>" not in page.text
    assert page.headers["x-frame-options"] == "DENY"

    answer = httpx.post(
        f"{sb.url}/_sandbox/transactions/{token}/status",
        data={"status": "completed"},
        headers={"Origin": sb.url},  # what a browser sends with the dashboard's own form
    )
    assert answer.status_code == 303
    assert sb.transaction(token)["status"] == "completed"


def test_the_server_root_leads_to_the_dashboard(sb: Sandbox) -> None:
    response = httpx.get(sb.url + "/")
    assert response.headers["location"] == "/_sandbox/"
