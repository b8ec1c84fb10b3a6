"""The provider's documented request and response examples (``tests/fixtures/provider/
endpoint_*.json``, quoted from its endpoint reference pages): fed the same values, the SDK
sends the documented body, field for field; and it reads the documented answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash

FIXTURES = Path(__file__).parent / "fixtures" / "provider"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"endpoint_{name}.json").read_text("utf-8"))
    return data


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of ``value`` (list items under ``[]``)."""
    found = {prefix} if prefix else set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for item in value:
            found |= paths(item, f"{prefix}[]")
    return found


def hosted(client: ligdicash.Client, doc: dict[str, Any]) -> None:
    invoice, store = doc["invoice"], doc["store"]
    created = client.Invoice(
        currency=invoice["devise"],
        description=invoice["description"],
        customer_firstname=invoice["customer_firstname"],
        customer_lastname=invoice["customer_lastname"],
        customer_email=invoice["customer_email"],
        store_name=store["name"],
        store_website_url=store["website_url"],
    )
    for item in invoice["items"]:
        created.add_item(item["name"], item["description"], item["quantity"], item["unit_price"])
    created.pay_with_redirection(**doc["actions"], custom_data=doc["custom_data"])


def direct(client: ligdicash.Client, doc: dict[str, Any]) -> None:
    invoice, store = doc["invoice"], doc["store"]
    created = client.Invoice(
        currency=invoice["devise"],
        description=invoice["description"],
        customer_firstname=invoice["customer_firstname"],
        customer_lastname=invoice["customer_lastname"],
        customer_email=invoice["customer_email"],
        store_name=store["name"],
        store_website_url=store["website_url"],
        total_amount=invoice["total_amount"],  # the documented ``items: []``
    )
    created.pay_without_redirection(
        otp=invoice["otp"],
        customer=invoice["customer"],
        callback_url=doc["actions"]["callback_url"],
        custom_data=doc["custom_data"],
    )


def payout(kind: str) -> Callable[[ligdicash.Client, dict[str, Any]], None]:
    def send(client: ligdicash.Client, doc: dict[str, Any]) -> None:
        withdrawal = client.Withdrawal(doc["description"], doc["amount"], doc["customer"])
        withdrawal.send(
            type=kind,
            to_wallet=bool(doc.get("top_up_wallet")),
            callback_url=doc["callback_url"],
            custom_data=doc["custom_data"],
        )

    return send


SENDERS = {
    "payin_redirect_create": (hosted, "/pay/v01/redirect/checkout-invoice/create"),
    "payin_straight_create": (direct, "/pay/v01/straight/checkout-invoice/create"),
    "straight_payout": (payout("merchant"), "/pay/v01/straight/payout"),
    "withdrawal_create": (payout("client"), "/pay/v01/withdrawal/create"),
}


def test_every_endpoint_fixture_names_its_source_page() -> None:
    names = sorted(p.name for p in FIXTURES.glob("endpoint_*.json"))
    assert len(names) >= 8
    for name in names:
        data = json.loads((FIXTURES / name).read_text("utf-8"))
        assert data["source"].startswith("https://developers.ligdicash.com/"), name
        assert "request" in data or "response" in data or "response_fields" in data, name


@pytest.mark.parametrize("name", sorted(SENDERS))
def test_the_sdk_sends_every_documented_field_with_the_documented_values(
    client: ligdicash.Client, fake: FakeLigdicash, name: str
) -> None:
    documented = fixture(name)["request"]
    send, path = SENDERS[name]
    send(client, documented["commande"])
    (request,) = fake.requests
    assert request.path.endswith(path.rsplit("/pay/v01/", 1)[1])
    sent = request.json
    missing = paths(documented) - paths(sent)
    assert not missing, f"documented fields the SDK does not send: {sorted(missing)}"
    assert sent == documented


def test_the_documented_creation_answers_are_read(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    for name in ("payin_straight_create", "straight_payout", "withdrawal_create"):
        answer = fixture(name)["response"]
        response = ligdicash.PaymentResponse.from_wire(answer)
        assert (response.response_code, response.token) == ("00", answer["token"])
        assert response.custom_data == {}  # documented as "" or [] on these endpoints
        assert response.redirect_url is None  # a message, or nothing: no page to open


def test_the_documented_payout_status_answer_is_read(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(fixture("withdrawal_confirm")["response"])
    transaction = client.get_transaction("{PAYOUT_TOKEN}", "client_payout")
    assert transaction.is_completed
    assert (transaction.operator_id, transaction.operator_name) == ("11", "ORANGE BURKINA")


def test_the_documented_authentication_refusal_raises_authentication_error(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(fixture("auth_error")["response"])
    invoice = client.Invoice(total_amount=5000)
    with pytest.raises(ligdicash.AuthenticationError) as info:
        invoice.pay_with_redirection(callback_url="https://myapp.com/api/callback/ligdicash")
    assert info.value.code == "00"
