"""End to end in a real headless Chromium: SDK -> hosted page -> click -> return page,
callbacks and status; and the page refuses to be framed."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
from sandbox_helpers import wait_until

import ligdicash
from ligdicash.sandbox import CallbackReceiver, Sandbox

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # A missing browser fails rather than skips: scripts/test.sh installs Debian's chromium,
    # and a skipped end-to-end test would hide a broken hosted page.
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


@pytest.fixture
def sdk(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(ligdicash, "api_key", sb.api_key)
    monkeypatch.setattr(ligdicash, "auth_token", sb.auth_token)
    monkeypatch.setattr(ligdicash, "base_url", sb.base_url)
    return ligdicash


def _start_payment(sdk: Any, rx: CallbackReceiver, reference: str) -> Any:
    invoice = sdk.Invoice(
        currency="xof",
        description=f"Order #{reference}",
        customer_firstname="Amadou",
        customer_lastname="Ouedraogo",
        customer_email="amadou@example.com",
        store_name="MySuperStore",
        store_website_url="https://mysuperstore.com",
    )
    invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
    invoice.add_item(name="Shipping fee", description="", quantity=1, unit_price=1500)
    return invoice.pay_with_redirection(
        return_url=rx.return_url,
        cancel_url=rx.cancel_url,
        callback_url=rx.callback_url,
        custom_data={"transaction_id": reference},
    )


def test_a_customer_pays_in_the_browser_and_every_side_agrees(
    sdk: Any, page: Any, receiver: CallbackReceiver
) -> None:
    response = _start_payment(sdk, receiver, "ORD-BROWSER-PAY")

    page.goto(response.response_text)
    assert page.locator("#store").inner_text() == "MySuperStore"
    assert "31,500" in page.locator("#total").inner_text()
    page.locator("input[name=operator][value='12']").check()
    page.locator("#pay").click()

    page.wait_for_url(receiver.return_url)
    assert "payment was received" in page.locator("#result").inner_text()
    calls = receiver.wait_for(2)
    assert {c.content_type for c in calls} == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert {c.fields["status"] for c in calls} == {"completed"}
    transaction = sdk.get_transaction(response.token, "payin")
    assert transaction.status == "completed"
    assert transaction.operator_name == "MOOV AFRICA BURKINA"
    assert transaction.custom_data == {"transaction_id": "ORD-BROWSER-PAY"}


def test_a_customer_cancels_in_the_browser_and_the_payment_is_cancelled(
    sdk: Any, page: Any, receiver: CallbackReceiver
) -> None:
    response = _start_payment(sdk, receiver, "ORD-BROWSER-CANCEL")

    page.goto(response.response_text)
    page.locator("#cancel").click()

    page.wait_for_url(receiver.cancel_url)
    assert {c.fields["status"] for c in receiver.wait_for(2)} == {"nocompleted"}
    assert sdk.get_transaction(response.token, "payin").status == "cancelled"
    page.goto(response.response_text)
    assert page.locator("#state").inner_text() == "Payment cancelled or failed"
    assert page.locator("button").count() == 0


def test_the_payment_page_cannot_be_embedded_in_an_iframe(
    sdk: Any, page: Any, receiver: CallbackReceiver
) -> None:
    response = _start_payment(sdk, receiver, "ORD-BROWSER-FRAME")
    parent = (
        "<!DOCTYPE html><title>Merchant</title>"
        f'<iframe id=payment src="{response.response_text}"></iframe>'
        f'<iframe id=control src="{receiver.return_url}"></iframe>'
    )
    checkout = receiver.url + "/checkout"  # a loopback origin, like the merchant's dev site
    page.route(
        checkout,
        lambda route: route.fulfill(status=200, content_type="text/html", body=parent),
    )
    page.goto(checkout)

    control = page.frame_locator("#control").locator("#result")
    assert "payment was received" in control.inner_text()  # framing works in general...
    frame = page.locator("#payment").element_handle().content_frame()
    assert frame is not None
    # ...but not for the payment page: Chromium replaces the refused frame by its error page.
    wait_until(lambda: frame.url.startswith("chrome-error://"))
    assert "MySuperStore" not in frame.content()
    assert frame.locator("#pay").count() == 0
