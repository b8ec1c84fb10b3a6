"""The payin endpoints speak the wire contract: shapes, tokens, echoes and refusal codes."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, create, direct_body, payin_body, wait_until, without

from ligdicash.sandbox import Sandbox, SandboxConfig

HOSTED = "redirect/checkout-invoice/create"
DIRECT = "straight/checkout-invoice/create"


def _segment(part: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def test_hosted_payin_answers_00_with_a_long_jwt_token_and_the_payment_page_url(
    sb: Sandbox, api: httpx.Client
) -> None:
    answer = create(api, HOSTED, payin_body())

    assert answer["response_code"] == "00"
    token = answer["token"]
    assert 300 <= len(token) <= 1000
    header, payload, signature = token.split(".")
    assert _segment(header) == {"typ": "JWT", "alg": "HS256"}
    claims = _segment(payload)
    assert {"id_invoice", "start_date", "expiry_date"} <= set(claims)
    assert isinstance(claims["expiry_date"], int)
    assert len(signature) == 43
    assert answer["response_text"] == f"{sb.url}/pay/invoice/{token}"
    assert answer["wiki"].startswith("https://")


def test_every_token_is_unique(api: httpx.Client) -> None:
    tokens = {create(api, HOSTED, payin_body())["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_custom_data_comes_back_as_a_list_of_records(api: httpx.Client) -> None:
    body = payin_body()
    body["commande"]["custom_data"] = {"transaction_id": "ORD-1", "cart": "42"}
    answer = create(api, HOSTED, body)

    records = answer["custom_data"]
    assert [(r["keyof_customdata"], r["valueof_customdata"]) for r in records] == [
        ("transaction_id", "ORD-1"),
        ("cart", "42"),
    ]
    assert all(set(r) >= {"id_invoice", "datecreation_customdata"} for r in records)
    status = confirm(api, "payin", answer["token"])
    assert status["custom_data"] == records


def test_status_answer_carries_every_contract_field_and_starts_pending(api: httpx.Client) -> None:
    token = create(api, HOSTED, payin_body())["token"]
    status = confirm(api, "payin", token)

    expected = {
        "response_code", "token", "status", "amount", "montant", "operator_id", "operator_name",
        "customer", "external_id", "transaction_id", "request_id", "date", "custom_data",
        "wiki", "response_text", "description",
    }  # fmt: skip
    assert expected <= set(status)
    assert status["response_code"] == "00"
    assert status["status"] == "pending"
    assert status["token"] == token
    assert isinstance(status["wiki"], str)


def test_amounts_come_back_as_int_string_or_float_with_montant_always_a_string(
    api: httpx.Client,
) -> None:
    shapes = []
    for _ in range(3):
        status = confirm(api, "payin", create(api, HOSTED, payin_body())["token"])
        assert status["montant"] == "31500.00"
        assert float(status["amount"]) == 31500
        shapes.append(type(status["amount"]))
    assert set(shapes) == {int, str, float}


@pytest.mark.parametrize("path", [HOSTED, DIRECT, "withdrawal/create", "straight/payout"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Apikey": "sandbox_api_key"},
        {"Apikey": "wrong", "Authorization": "Bearer sandbox_auth_token"},
        {"Apikey": "sandbox_api_key", "Authorization": "Bearer wrong"},
        {"Apikey": "sandbox_api_key", "Authorization": "sandbox_auth_token"},
    ],
    ids=["none", "no-bearer", "wrong-key", "wrong-token", "not-bearer"],
)
def test_wrong_or_missing_credentials_are_refused_with_code00(
    sb: Sandbox, path: str, headers: dict[str, str]
) -> None:
    response = httpx.post(sb.base_url + path, json=payin_body(), headers=headers)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["response_code"], answer["token"]) == ("01", "")
    assert answer["response_text"] == "Echec (Code00)"


def test_status_calls_need_credentials_too(sb: Sandbox, api: httpx.Client) -> None:
    token = create(api, HOSTED, payin_body())["token"]
    response = httpx.get(
        sb.base_url + "redirect/checkout-invoice/confirm/", params={"invoiceToken": token}
    )
    assert response.json()["response_text"] == "Echec (Code00)"


def test_an_item_without_unit_price_is_refused_with_code04_undefined_array_key(
    api: httpx.Client,
) -> None:
    body = payin_body()
    item = body["commande"]["invoice"]["items"][0]
    item["price"] = item.pop("unit_price")

    answer = create(api, HOSTED, body)

    assert answer["response_code"] == "01"
    assert answer["token"] == ""
    assert answer["response_text"] == "Echec (Code04)"
    assert answer["response_text_details"] == 'Undefined array key "unit_price"'


@pytest.mark.parametrize(
    "path",
    [
        ("commande",),
        ("commande", "invoice"),
        ("commande", "invoice", "total_amount"),
        ("commande", "invoice", "devise"),
        ("commande", "invoice", "items"),
        ("commande", "invoice", "customer_email"),
        ("commande", "store"),
        ("commande", "store", "name"),
        ("commande", "actions"),
        ("commande", "actions", "return_url"),
        ("commande", "actions", "callback_url"),
        ("commande", "custom_data"),
    ],
    ids=lambda p: ".".join(p),
)
def test_every_key_the_backend_reads_is_required(api: httpx.Client, path: tuple[str, ...]) -> None:
    answer = create(api, HOSTED, without(payin_body(), *path))

    assert answer["response_text"] == "Echec (Code04)"
    assert answer["response_text_details"] == f'Undefined array key "{path[-1]}"'


def test_the_direct_flow_only_needs_callback_url_in_actions(api: httpx.Client) -> None:
    answer = create(api, DIRECT, direct_body("22670123456", "123456"))
    assert answer["response_code"] == "00"


@pytest.mark.parametrize("amount", [8, 2_000_001, 0, -5, "abc", 20.5])
def test_a_payin_amount_outside_9_to_2_000_000_is_refused_with_code02(
    api: httpx.Client, amount: Any
) -> None:
    answer = create(api, HOSTED, payin_body(total_amount=amount))
    assert answer["response_text"] == "Echec (Code02)"


@pytest.mark.parametrize("amount", [9, 2_000_000, 1_500_000, "5000"])
def test_the_amount_limits_are_inclusive(api: httpx.Client, amount: Any) -> None:
    assert create(api, HOSTED, payin_body(total_amount=amount))["response_code"] == "00"


def test_a_create_endpoint_called_with_get_is_refused_as_invalid_method(
    api: httpx.Client,
) -> None:
    assert api.get(HOSTED).json()["response_text"] == "Echec (Code12)"


def test_a_direct_payin_with_the_right_otp_completes(api: httpx.Client) -> None:
    answer = create(api, DIRECT, direct_body("22670123456", "123456"))

    assert answer["response_code"] == "00"
    status = wait_until(
        lambda: (s := confirm(api, "payin", answer["token"]))["status"] == "completed" and s
    )
    assert status["operator_name"] == "ORANGE BURKINA"
    assert status["customer"] == "22670123456"
    assert status["transaction_id"]


def test_a_direct_payin_with_a_wrong_otp_is_accepted_but_stays_pending(
    sb: Sandbox, api: httpx.Client
) -> None:
    answer = create(api, DIRECT, direct_body("22670123456", "111111"))

    assert answer["response_code"] == "00"
    assert sb.transaction(answer["token"])["settle_at"] is None
    assert confirm(api, "payin", answer["token"])["status"] == "pending"


def test_a_direct_payin_with_the_declined_otp_ends_nocompleted(api: httpx.Client) -> None:
    token = create(api, DIRECT, direct_body("22670123456", "999999"))["token"]
    wait_until(lambda: confirm(api, "payin", token)["status"] == "nocompleted")


@pytest.mark.parametrize("otp", ["", "   "])
def test_an_otp_operator_without_otp_is_refused_with_code15(api: httpx.Client, otp: str) -> None:
    answer = create(api, DIRECT, direct_body("22670123456", otp))

    assert (answer["response_code"], answer["token"]) == ("01", "")
    assert answer["response_text"] == "Echec (Code15)"
    assert answer["response_text_details"] == "You must specify password or otp"


def test_an_approval_operator_accepts_an_empty_otp_and_completes(api: httpx.Client) -> None:
    token = create(api, DIRECT, direct_body("22660123456", ""))["token"]
    status = wait_until(lambda: (s := confirm(api, "payin", token))["status"] == "completed" and s)
    assert status["operator_name"] == "MOOV AFRICA BURKINA"


def test_an_approval_payin_waits_for_the_customer_when_approval_is_manual(
    make_sandbox: Any,
) -> None:
    sandbox = make_sandbox(SandboxConfig.fast(approval_delay=None))
    with httpx.Client(base_url=sandbox.base_url, headers=sandbox.auth_headers) as client:
        token = create(client, DIRECT, direct_body("22660123456", ""))["token"]
        assert confirm(client, "payin", token)["status"] == "pending"

        sandbox.approve(token)

        assert confirm(client, "payin", token)["status"] == "completed"


def test_an_approval_payin_completes_only_after_the_configured_delay(make_sandbox: Any) -> None:
    sandbox = make_sandbox(SandboxConfig.fast(approval_delay=0.3))
    with httpx.Client(base_url=sandbox.base_url, headers=sandbox.auth_headers) as client:
        token = create(client, DIRECT, direct_body("22660123456", ""))["token"]
        assert confirm(client, "payin", token)["status"] == "pending"
        wait_until(lambda: confirm(client, "payin", token)["status"] == "completed")


def test_the_declining_approval_customer_ends_nocompleted(api: httpx.Client) -> None:
    token = create(api, DIRECT, direct_body("22660000009", ""))["token"]
    wait_until(lambda: confirm(api, "payin", token)["status"] == "nocompleted")


def test_a_number_no_operator_serves_is_refused_per_platform(
    api: httpx.Client, make_sandbox: Any
) -> None:
    assert create(api, DIRECT, direct_body("22690000000", "123456"))["response_text"] == (
        "Echec (Code08)"
    )
    test_platform = make_sandbox(SandboxConfig.fast(platform="test"))
    with httpx.Client(
        base_url=test_platform.base_url, headers=test_platform.auth_headers
    ) as client:
        answer = create(client, DIRECT, direct_body("22690000000", "123456"))
    assert answer["response_text"] == "Echec (Code04)"


@pytest.mark.parametrize("kind", ["payin", "client_payout", "merchant_payout"])
def test_an_unknown_token_is_invoice_not_found_code02(api: httpx.Client, kind: str) -> None:
    answer = confirm(api, kind, "eyJ.unknown.token")
    assert (answer["response_code"], answer["response_text"]) == ("01", "Echec (Code02)")


def test_a_payin_token_is_unknown_to_the_payout_status_endpoints(api: httpx.Client) -> None:
    token = create(api, HOSTED, payin_body())["token"]
    assert confirm(api, "client_payout", token)["response_text"] == "Echec (Code02)"
    assert confirm(api, "payin", token)["response_code"] == "00"


def test_the_payin_status_route_takes_token_as_well_as_invoice_token(api: httpx.Client) -> None:
    # The provider's pages name the parameter `token` (endpoint reference, status pages) and
    # `invoiceToken` (guides' sources, provider SDKs): the sandbox must answer both.
    token = create(api, HOSTED, payin_body())["token"]
    route = "redirect/checkout-invoice/confirm/"
    by_token = api.get(route, params={"token": token}).json()
    by_invoice_token = api.get(route, params={"invoiceToken": token}).json()
    assert by_token["response_code"] == "00"
    assert by_token["status"] == "pending"
    assert by_token == by_invoice_token
    unknown = api.get(route, params={"token": "not-a-token"}).json()
    assert unknown["response_text"] == "Echec (Code02)"


def test_a_status_call_without_its_token_parameter_is_refused(api: httpx.Client) -> None:
    answer = api.get("redirect/checkout-invoice/confirm/").json()
    assert answer["response_text"] == "Echec (Code03)"
    assert answer["response_text_details"] == 'Undefined array key "invoiceToken"'


def test_an_unknown_api_path_is_a_404(api: httpx.Client) -> None:
    assert api.get("nowhere").status_code == 404
