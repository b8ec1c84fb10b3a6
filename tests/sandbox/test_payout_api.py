"""Payouts debit a merchant balance, settle later, and refuse with their families' codes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, create, payout_body, wait_until, without

from ligdicash.sandbox import Sandbox, SandboxConfig

CLIENT = "withdrawal/create"
MERCHANT = "straight/payout"


def test_the_documented_client_payout_succeeds_and_debits_the_balance(
    sb: Sandbox, api: httpx.Client
) -> None:
    before = sb.balance()
    answer = create(api, CLIENT, payout_body())

    assert answer["response_code"] == "00"
    assert 300 <= len(answer["token"]) <= 1000
    assert sb.balance() == before - 5000
    status = wait_until(
        lambda: (s := confirm(api, "client_payout", answer["token"]))["status"] == "completed" and s
    )
    assert status["montant"] == "5000.00"
    assert status["customer"] == "22670123456"
    assert status["operator_name"] == "ORANGE BURKINA"


def test_a_client_payout_to_the_wallet_names_the_ligdicash_wallet(api: httpx.Client) -> None:
    token = create(api, CLIENT, payout_body(top_up_wallet=1))["token"]
    assert confirm(api, "client_payout", token)["operator_name"] == "LigdiCash Wallet"


def test_a_merchant_payout_succeeds_on_both_payout_status_routes(api: httpx.Client) -> None:
    token = create(api, MERCHANT, payout_body(client=False))["token"]

    # The older straight/payout/confirm/ route, and the documented withdrawal/confirm/
    # one, which serves the tokens of both payout kinds.
    wait_until(lambda: confirm(api, "merchant_payout", token)["status"] == "completed")
    assert confirm(api, "client_payout", token)["status"] == "completed"
    assert confirm(api, "payin", token)["response_text"] == "Echec (Code02)"


def test_a_client_payout_token_is_unknown_on_the_merchant_only_route(api: httpx.Client) -> None:
    token = create(api, CLIENT, payout_body())["token"]

    wait_until(lambda: confirm(api, "client_payout", token)["status"] == "completed")
    assert confirm(api, "merchant_payout", token)["response_text"] == "Echec (Code02)"


def test_payouts_stay_pending_until_their_configured_delay(make_sandbox: Any) -> None:
    sandbox = make_sandbox(SandboxConfig.fast(client_payout_delay=0.3))
    with httpx.Client(base_url=sandbox.base_url, headers=sandbox.auth_headers) as client:
        token = create(client, CLIENT, payout_body())["token"]
        assert confirm(client, "client_payout", token)["status"] == "pending"
        wait_until(lambda: confirm(client, "client_payout", token)["status"] == "completed")


def test_an_unregistered_customer_is_refused_for_a_client_payout_with_code02(
    api: httpx.Client,
) -> None:
    answer = create(api, CLIENT, payout_body(customer="22670000404"))
    assert (answer["response_code"], answer["token"]) == ("01", "")
    assert answer["response_text"] == "Echec (Code02)"


def test_an_unregistered_customer_can_still_get_a_merchant_payout(api: httpx.Client) -> None:
    answer = create(api, MERCHANT, payout_body(customer="22670000404", client=False))
    assert answer["response_code"] == "00"


def test_a_number_without_operator_is_refused_for_a_merchant_payout_with_code05(
    api: httpx.Client,
) -> None:
    answer = create(api, MERCHANT, payout_body(customer="22690000000", client=False))
    assert answer["response_text"] == "Echec (Code05)"


@pytest.mark.parametrize(("path", "code"), [(CLIENT, "04"), (MERCHANT, "08")])
def test_a_balance_too_low_is_refused_and_nothing_is_debited(
    sb: Sandbox, api: httpx.Client, path: str, code: str
) -> None:
    sb.set_balance(4999)

    answer = create(api, path, payout_body(client=path == CLIENT))

    assert answer["response_text"] == f"Echec (Code{code})"
    assert sb.balance() == 4999
    assert sb.transactions() == []


@pytest.mark.parametrize(("path", "code"), [(CLIENT, "07"), (MERCHANT, "04")])
def test_a_repeated_transaction_id_is_refused_as_already_existing(
    api: httpx.Client, path: str, code: str
) -> None:
    body = payout_body(client=path == CLIENT, transaction_id="PAY-1")
    assert create(api, path, body)["response_code"] == "00"

    assert create(api, path, body)["response_text"] == f"Echec (Code{code})"


def test_payouts_without_transaction_id_are_never_duplicates(api: httpx.Client) -> None:
    body = payout_body(transaction_id=None)
    assert create(api, CLIENT, body)["response_code"] == "00"
    assert create(api, CLIENT, body)["response_code"] == "00"


@pytest.mark.parametrize(("path", "code"), [(CLIENT, "05"), (MERCHANT, "02")])
@pytest.mark.parametrize("amount", [8, 2_000_001])
def test_a_payout_amount_out_of_range_gets_its_familys_code(
    api: httpx.Client, path: str, code: str, amount: int
) -> None:
    answer = create(api, path, payout_body(amount=amount, client=path == CLIENT))
    assert answer["response_text"] == f"Echec (Code{code})"


@pytest.mark.parametrize(
    ("path", "key", "code"),
    [
        (CLIENT, "top_up_wallet", "08"),
        (CLIENT, "customer", "08"),
        (CLIENT, "callback_url", "08"),
        (MERCHANT, "amount", "09"),
        (MERCHANT, "custom_data", "09"),
    ],
)
def test_a_missing_payout_key_is_refused_as_undefined(
    api: httpx.Client, path: str, key: str, code: str
) -> None:
    body = without(payout_body(client=path == CLIENT), "commande", key)
    answer = create(api, path, body)
    assert answer["response_text"] == f"Echec (Code{code})"
    assert answer["response_text_details"] == f'Undefined array key "{key}"'


def test_a_failing_payout_ends_nocompleted_and_is_refunded(sb: Sandbox, api: httpx.Client) -> None:
    before = sb.balance()
    token = create(api, CLIENT, payout_body(customer="22670000500"))["token"]

    wait_until(lambda: confirm(api, "client_payout", token)["status"] == "nocompleted")
    assert sb.balance() == before


def test_a_completed_payin_credits_the_merchant_balance(sb: Sandbox, api: httpx.Client) -> None:
    from sandbox_helpers import direct_body

    before = sb.balance()
    token = create(api, "straight/checkout-invoice/create", direct_body("22670123456", "123456"))[
        "token"
    ]
    wait_until(lambda: confirm(api, "payin", token)["status"] == "completed")
    assert sb.balance() == before + 31500
