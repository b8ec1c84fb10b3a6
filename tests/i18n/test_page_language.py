"""The sandbox's hosted payment page and dashboard follow the browser's language: a real
Chromium with a French and an English locale, and the ``?lang=`` override."""

from __future__ import annotations

import os
from typing import Any, Iterator

import httpx
import pytest

import ligdicash
from ligdicash.sandbox import Sandbox

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _payment_url(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(ligdicash, "api_key", sb.api_key)
    monkeypatch.setattr(ligdicash, "auth_token", sb.auth_token)
    monkeypatch.setattr(ligdicash, "base_url", sb.base_url)
    invoice = ligdicash.Invoice(description="Commande #ORD-1", store_name="Boutique")
    invoice.add_item(name="Pagne", description="", quantity=1, unit_price=2500)
    return str(invoice.pay_with_redirection(return_url="", cancel_url="").payment_url)


@pytest.mark.parametrize(
    ("locale", "pay", "cancel", "legend", "html_lang"),
    [
        ("fr-FR", "Payer", "Annuler", "Payer avec", "fr"),
        ("en-US", "Pay", "Cancel", "Pay with", "en"),
    ],
)
def test_the_hosted_page_speaks_the_browser_locale(
    browser: Any,
    ligdicash_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    locale: str,
    pay: str,
    cancel: str,
    legend: str,
    html_lang: str,
) -> None:
    url = _payment_url(ligdicash_sandbox, monkeypatch)
    context = browser.new_context(locale=locale)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(url)
        assert page.locator("#pay").inner_text() == pay
        assert page.locator("#cancel").inner_text() == cancel
        assert page.locator("legend").inner_text() == legend
        assert page.locator("html").get_attribute("lang") == html_lang
        # Cancelling (no return URL) shows the final state in the same language.
        page.locator("#cancel").click()
        expected = (
            "Paiement annulé ou échoué" if html_lang == "fr" else "Payment cancelled or failed"
        )
        assert page.locator("#state").inner_text() == expected
    finally:
        context.close()


def test_the_dashboard_speaks_the_browser_locale(browser: Any, ligdicash_sandbox: Sandbox) -> None:
    for locale, heading in (("fr-FR", "Sandbox LigdiCash"), ("en-US", "LigdiCash sandbox")):
        context = browser.new_context(locale=locale)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            page.goto(ligdicash_sandbox.url + "/_sandbox/")
            assert page.locator("h1").inner_text() == heading
        finally:
            context.close()


def test_the_lang_parameter_overrides_accept_language(
    ligdicash_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _payment_url(ligdicash_sandbox, monkeypatch)
    with httpx.Client(trust_env=False) as client:
        french = client.get(url + "?lang=fr", headers={"Accept-Language": "en-US"})
        english = client.get(url + "?lang=en", headers={"Accept-Language": "fr-FR"})
        default = client.get(url)
        board = client.get(ligdicash_sandbox.url + "/_sandbox/?lang=fr")
    assert ">Payer</button>" in french.text
    assert ">Pay</button>" in english.text
    assert ">Pay</button>" in default.text
    assert "<h1>Sandbox LigdiCash</h1>" in board.text
