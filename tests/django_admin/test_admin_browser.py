"""One pass through the admin in a real headless Chromium: log in, the payments list (token
masked), "reconcile now" on a pending payment, the inbox entry's decoded body (number
masked), and the French index."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from admin_project import PASSWORD, serve
from test_admin_pages import PHONE, TOKEN, _callback_body, _entry, _payment

from ligdicash.contrib.django.models import TrackedPayment

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def site() -> Iterator[str]:
    url, stop = serve()
    yield url
    stop()


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # A missing browser fails rather than skips (scripts/test.sh installs Debian's chromium).
    from playwright import sync_api

    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop; the test's own reads and writes are sequential.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def test_an_operator_reconciles_a_payment_and_reads_a_callback_in_the_browser(
    site: str, page: Any, operator: Any
) -> None:
    operator.set_password(PASSWORD)
    operator.save()
    _payment("order-1")
    _payment("order-2", status="completed")
    entry = _entry(_callback_body("order-1"), outcome="gave_up:failed:status_call_error")

    page.goto(f"{site}/admin/login/?next=/admin/ligdicash/trackedpayment/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/ligdicash/trackedpayment/")
    table = page.locator("#result_list").inner_text()
    assert "TOKN…zyxW" in table
    assert TOKEN not in page.content()

    page.locator("input[name=_selected_action][value='order-1']").check()
    page.select_option("select[name=action]", "reconcile_now")
    before = time.time()
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert "1 payment is due now" in page.locator(".messagelist").inner_text()
    assert before - 1 <= TrackedPayment.objects.get(reference="order-1").next_poll_at <= time.time()

    page.goto(f"{site}/admin/ligdicash/inboxmessage/{entry.digest}/change/")
    body = page.locator(".field-body_display").inner_text()
    assert "226*****456" in body
    assert PHONE not in page.content()

    # Django's language cookie, as its set_language view would write it.
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": site}])
    page.goto(f"{site}/admin/ligdicash/")
    assert "Paiements suivis" in page.locator("#content").inner_text()
