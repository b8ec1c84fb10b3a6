"""The provider's documented callbacks, posted to a real app of each framework.

The JSON and form copies of the documented payin callback (token "Always empty", hash and
logfile inside custom_data, the form's custom_data as stringified JSON) and of the
documented payout callback (root transaction_id = the merchant's id, custom_data [])
reach the Django, Flask and FastAPI integrations, on loopback servers, exactly as the
user would wire them (``test_callback_endpoints``). The status calls go to a local server
answering the documented status answers, for the token stored at creation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from test_callback_endpoints import APPS, RunningApp, Shop, post

from fake_ligdicash import PREFIX, FakeLigdicash, Recorded
from ligdicash.contrib import ExpectedTransaction
from provider_payloads import (
    FORM,
    JSON,
    PAYIN_AMOUNT,
    PAYIN_ORDER,
    PAYOUT_AMOUNT,
    PAYOUT_ORDER,
    confirm_answer,
    form_body,
    json_body,
)

STORED = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.stored-at-creation-{}.sig"


class DocumentedProvider(FakeLigdicash):
    """Answers every status call with the documented answer of its route."""

    def default_answer(self, rec: Recorded) -> dict[str, Any]:
        path = rec.path[len(PREFIX) :]
        if rec.method == "GET" and "checkout-invoice/confirm" in path:
            return confirm_answer("payin_confirm")
        if rec.method == "GET":
            token = next(iter(rec.query.values()), [""])[0]
            return confirm_answer("withdrawal_confirm", token)
        return super().default_answer(rec)


@pytest.fixture(scope="module")
def provider() -> Iterator[DocumentedProvider]:
    with DocumentedProvider() as server:
        yield server


@pytest.fixture(params=list(APPS))
def running(
    request: pytest.FixtureRequest, provider: DocumentedProvider, tmp_path: Path
) -> Iterator[RunningApp]:
    """A fresh app (and callback inbox) per test: every test posts the same documented
    bodies, which one inbox would rightly take for copies already processed. Payout
    tests run with ``verify_hash`` off: the documented payout callback has no hash."""
    verify_hash = "payout_callbacks_confirm" not in request.node.name
    shop = Shop()
    store_path = tmp_path / "ligdicash-callbacks.sqlite3"
    # The apps only read api_key, auth_token and base_url from their "sandbox".
    factory = APPS[request.param]
    with factory(provider, shop, store_path, verify_hash) as running_app:  # type: ignore[arg-type]
        yield running_app


@pytest.fixture
def app(running: RunningApp, provider: DocumentedProvider) -> RunningApp:
    provider.reset()
    running.shop.reset()
    return running


def signed(app: RunningApp, maker: Any, name: str) -> bytes:
    """The documented body, its hash record re-made for the app's credentials (the apps
    verify hashes; the documented one was made with the provider's example keys)."""
    body: bytes = maker(name, api_key=app.sandbox.api_key, auth_token=app.sandbox.auth_token)
    return body


def test_the_documented_payin_callbacks_deliver_the_order_once(app: RunningApp) -> None:
    token = STORED.format("payin")
    app.shop.orders[PAYIN_ORDER] = ExpectedTransaction(token, PAYIN_AMOUNT, PAYIN_ORDER)
    assert post(app.url, signed(app, json_body, "payin_callback"), JSON).status_code == 200
    assert post(app.url, signed(app, form_body, "payin_callback_form"), FORM).status_code == 200
    results = app.shop.wait_for_results(2)
    assert sorted(r.outcome for r in results) == ["duplicate", "processed"]
    [delivered] = app.shop.delivered
    assert (delivered.amount, delivered.custom_data) == (
        PAYIN_AMOUNT,
        {"transaction_id": PAYIN_ORDER},
    )
    provider = app.sandbox
    assert isinstance(provider, FakeLigdicash)
    asked = {r.query["invoiceToken"][0] for r in provider.requests if r.method == "GET"}
    assert asked == {token}  # the stored token, never the callback's empty one


@pytest.mark.parametrize("kind", ["client_payout", "merchant_payout"])
def test_the_documented_payout_callbacks_confirm_the_payout_once(
    app: RunningApp, kind: str
) -> None:
    token = STORED.format(kind)
    app.shop.orders[PAYOUT_ORDER] = ExpectedTransaction(
        token,
        PAYOUT_AMOUNT,
        PAYOUT_ORDER,
        kind,  # type: ignore[arg-type]
    )
    assert post(app.url, json_body("payout_callback"), JSON).status_code == 200
    assert post(app.url, form_body("payout_callback_form"), FORM).status_code == 200
    results = app.shop.wait_for_results(2)
    assert sorted(r.outcome for r in results) == ["duplicate", "processed"]
    [delivered] = app.shop.delivered
    assert delivered.is_completed
    assert delivered.token == token


def test_an_app_that_requires_a_hash_refuses_the_documented_payout_callback(
    app: RunningApp,
) -> None:
    # The payout payload page documents no hash at all: verify_hash=True (which these
    # apps use for payins) can only refuse it, before any status call.
    app.shop.orders[PAYOUT_ORDER] = ExpectedTransaction(
        STORED.format("x"), PAYOUT_AMOUNT, PAYOUT_ORDER, "client_payout"
    )
    assert post(app.url, json_body("payout_callback"), JSON).status_code == 200
    [result] = app.shop.wait_for_results(1)
    assert (result.outcome, result.reason) == ("refused", "missing_hash")


def test_a_documented_payin_callback_for_an_unknown_order_runs_nothing(app: RunningApp) -> None:
    assert post(app.url, signed(app, json_body, "payin_callback"), JSON).status_code == 200
    [result] = app.shop.wait_for_results(1)
    assert (result.outcome, result.reason) == ("refused", "unknown_transaction")
    assert app.shop.delivered == []
