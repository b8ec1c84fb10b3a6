"""confirm_callback: the stored token is used, and status, amount, custom_data must agree."""

from __future__ import annotations

import json
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import LONG_TOKEN, FakeLigdicash, status_body

STORED_TOKEN = LONG_TOKEN
CB_TOKEN = "callback-token-differs-from-the-creation-one"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def callback(**fields: Any) -> ligdicash.Callback:
    body: dict[str, Any] = {
        "token": CB_TOKEN,
        "status": "completed",
        "amount": 31500,
        "customer": "22670123456",
        "custom_data": [
            {"keyof_customdata": "transaction_id", "valueof_customdata": "ORD-20240512"}
        ],
    }
    body.update(fields)
    return ligdicash.parse_callback(json.dumps(body).encode(), "application/json")


def test_confirmation_asks_for_the_stored_token_and_returns_the_transaction(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    transaction = client.confirm_callback(
        callback(),
        token=STORED_TOKEN,
        expected_amount=31500,
        expected_transaction_id="ORD-20240512",
    )
    assert transaction.is_completed
    assert transaction.amount == 31500
    [request] = fake.requests
    assert request.query == {"invoiceToken": [STORED_TOKEN]}
    assert CB_TOKEN not in request.path + json.dumps(request.query)


def test_confirming_with_the_callbacks_own_token_is_refused_before_sending(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    with pytest.raises(ligdicash.InvalidRequestError, match="token returned at creation"):
        client.confirm_callback(callback(), token=CB_TOKEN, expected_amount=31500)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("server", "cb", "expectations", "field"),
    [
        pytest.param({"status": "pending"}, {}, {}, "status", id="still-pending"),
        pytest.param({"status": "nocompleted"}, {}, {}, "status", id="server-cancelled"),
        pytest.param({}, {"status": "nocompleted"}, {}, "status", id="callback-says-cancelled"),
        pytest.param({"amount": 20, "montant": "20.00"}, {}, {}, "amount", id="paid-less"),
        pytest.param({}, {}, {"expected_amount": 63000}, "amount", id="expected-more"),
        pytest.param({}, {"amount": 100}, {}, "amount", id="callback-amount-forged"),
        pytest.param(
            {}, {}, {"expected_transaction_id": "ORD-OTHER"}, "transaction_id", id="other-order"
        ),
        pytest.param(
            {},
            {"custom_data": {"transaction_id": "ORD-OTHER"}},
            {},
            "custom_data",
            id="custom-data-tampered",
        ),
        pytest.param(
            {},
            {"custom_data": {"transaction_id": "ORD-20240512", "vip": "1"}},
            {},
            "custom_data",
            id="custom-data-key-added",
        ),
    ],
)
def test_any_disagreement_raises_a_mismatch_naming_the_field(
    client: ligdicash.Client,
    fake: FakeLigdicash,
    server: dict[str, Any],
    cb: dict[str, Any],
    expectations: dict[str, Any],
    field: str,
) -> None:
    fake.push_json(status_body(STORED_TOKEN, **server))
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(callback(**cb), token=STORED_TOKEN, **expectations)
    assert info.value.field == field
    assert isinstance(info.value.transaction, ligdicash.Transaction)
    assert isinstance(info.value, ligdicash.CallbackError)
    assert "ORD-OTHER" not in info.value.message


def test_an_answer_without_the_transaction_id_does_not_confirm_one_that_is_expected(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(STORED_TOKEN, custom_data=[]))
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(
            callback(), token=STORED_TOKEN, expected_transaction_id="ORD-20240512"
        )
    assert info.value.field == "transaction_id"


@pytest.mark.parametrize("expected_id", ["", "None", "0"])
def test_an_answer_without_the_transaction_id_matches_no_expected_value(
    client: ligdicash.Client, fake: FakeLigdicash, expected_id: str
) -> None:
    fake.push_json(status_body(STORED_TOKEN, custom_data=[]))
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(
            callback(custom_data=[]), token=STORED_TOKEN, expected_transaction_id=expected_id
        )
    assert info.value.field == "transaction_id"


def test_an_answer_carrying_a_custom_data_key_the_callback_lacks_does_not_confirm(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(
        status_body(STORED_TOKEN, custom_data={"transaction_id": "ORD-20240512", "vip": "1"})
    )
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(callback(), token=STORED_TOKEN, expected_amount=31500)
    assert info.value.field == "custom_data"
    assert "vip" in info.value.message


def test_an_answer_with_custom_data_does_not_confirm_a_callback_without_any(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(STORED_TOKEN))
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(callback(custom_data=[]), token=STORED_TOKEN)
    assert info.value.field == "custom_data"


def test_an_answer_without_an_amount_does_not_confirm_an_expected_amount(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(STORED_TOKEN, amount=None, montant=None))
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        client.confirm_callback(callback(amount=None), token=STORED_TOKEN, expected_amount=31500)
    assert info.value.field == "amount"


def test_custom_data_values_compare_as_text_across_encodings(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(
        status_body(STORED_TOKEN, custom_data={"transaction_id": "ORD-20240512", "cart": 7})
    )
    form = ligdicash.parse_callback(
        f"token={CB_TOKEN}&status=completed&amount=31500.00"
        "&custom_data[transaction_id]=ORD-20240512&custom_data[cart]=7".encode(),
        "application/x-www-form-urlencoded",
    )
    assert client.confirm_callback(form, token=STORED_TOKEN, expected_amount=31500).is_completed


def test_a_confirmed_cancellation_is_returned_not_raised(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(status_body(STORED_TOKEN, status="nocompleted"))
    transaction = client.confirm_callback(
        callback(status="nocompleted"), token=STORED_TOKEN, expected_amount=31500
    )
    assert transaction.is_cancelled


def test_a_status_call_timeout_is_a_timeout_not_a_mismatch(fake: FakeLigdicash) -> None:
    fake.push_json(status_body(STORED_TOKEN), delay=0.3)
    with (
        ligdicash.Client(
            api_key=fake.api_key,
            auth_token=fake.auth_token,
            base_url=fake.base_url,
            timeout=0.1,
            max_retries=0,
        ) as client,
        pytest.raises(ligdicash.APITimeoutError),
    ):
        client.confirm_callback(callback(), token=STORED_TOKEN, expected_amount=31500)


def test_the_module_level_confirm_callback_uses_the_module_settings(
    configured: FakeLigdicash,
) -> None:
    transaction = ligdicash.confirm_callback(
        callback(),
        token=STORED_TOKEN,
        expected_amount=31500,
        expected_transaction_id="ORD-20240512",
    )
    assert transaction.is_completed
    assert configured.requests[0].query == {"invoiceToken": [STORED_TOKEN]}


def test_the_module_level_confirm_callback_refuses_the_callback_token_without_credentials() -> None:
    with pytest.raises(ligdicash.InvalidRequestError):
        ligdicash.confirm_callback(callback(), token=CB_TOKEN)
    with pytest.raises(ligdicash.InvalidTokenError):
        ligdicash.confirm_callback(callback(), token="")


@pytest.mark.anyio
async def test_the_async_client_confirms_the_same_way(fake: FakeLigdicash) -> None:
    fake.push_json(status_body(STORED_TOKEN, amount=20))
    async with ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as client:
        with pytest.raises(ligdicash.CallbackMismatchError) as info:
            await client.confirm_callback(callback(), token=STORED_TOKEN, expected_amount=31500)
        assert info.value.field == "amount"
        transaction = await client.confirm_callback(
            callback(), token=STORED_TOKEN, expected_amount=31500
        )
    assert transaction.is_completed
    assert [r.query for r in fake.requests] == [{"invoiceToken": [STORED_TOKEN]}] * 2
