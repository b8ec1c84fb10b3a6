"""Answers are read tolerantly: unknown, missing, camelCase, null and odd-typed values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ligdicash
from ligdicash._wire import normalize_custom_data, normalize_status, parse_amount, parse_wiki

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["1e30", "31500.00", " 20 ", "-0", "1_000"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_KEYS = st.sampled_from([
    "status", "Status", "amount", "montant", "custom_data", "customData", "customdata", "wiki",
    "response_code", "responseCode", "operator_name", "operatorName", "token", "customer",
    "date", "external_id", "transaction_id", "request_id", "response_text_details",
])  # fmt: skip
PAYLOADS = st.dictionaries(KNOWN_KEYS | st.text(max_size=12), JSON_VALUES, max_size=12)


@given(PAYLOADS)
def test_any_json_object_parses_into_a_transaction_without_crashing(
    payload: dict[str, Any],
) -> None:
    transaction = ligdicash.Transaction.from_wire(payload)
    assert isinstance(transaction.status, str)
    assert transaction.amount is None or isinstance(transaction.amount, int)
    assert isinstance(transaction.custom_data, dict)
    assert all(isinstance(link, str) for link in transaction.wiki)
    assert transaction.raw == payload
    repr(transaction)


@given(PAYLOADS)
def test_any_json_object_parses_into_a_payment_response(payload: dict[str, Any]) -> None:
    response = ligdicash.PaymentResponse.from_wire(payload)
    assert isinstance(response.token, str)
    assert isinstance(response.custom_data, dict)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10), st.text(max_size=10) | st.integers(), max_size=6
    )
)
def test_custom_data_round_trips_through_the_list_of_records_form(data: dict[str, Any]) -> None:
    records = [
        {"id_invoice": "1", "keyof_customdata": k, "valueof_customdata": v,
         "datecreation_customdata": "2024-01-01 00:00:00"}
        for k, v in data.items()
    ]  # fmt: skip
    assert normalize_custom_data(records) == data
    assert normalize_custom_data(data) == data


@given(st.integers(min_value=0, max_value=10**9))
def test_amounts_read_the_same_from_int_float_and_string(amount: int) -> None:
    for form in (amount, float(amount), f"{amount}.00", str(amount), f" {amount} "):
        assert parse_amount(form) == amount


@pytest.mark.parametrize(
    "value", [None, "", "abc", True, [], {}, "nan", "inf", "1e30", 1e300, "-1e400"]
)
def test_unusable_amounts_are_none(value: Any) -> None:
    assert parse_amount(value) is None


@pytest.mark.parametrize(
    ("word", "status"),
    [("completed", "completed"), ("COMPLETED", "completed"), ("pending", "pending"),
     ("nocompleted", "cancelled"), ("notcompleted", "cancelled"), (" Pending ", "pending"),
     ("refunded", "refunded"), (None, "")],
)  # fmt: skip
def test_status_words_map_onto_the_documented_ones(word: Any, status: str) -> None:
    assert normalize_status(word) == status


def test_the_servers_status_word_is_kept() -> None:
    transaction = ligdicash.Transaction.from_wire({"Status": "notcompleted", "amount": "20"})
    assert transaction.status == "cancelled"
    assert transaction.raw_status == "notcompleted"
    assert transaction.is_cancelled
    assert transaction.is_final
    assert not transaction.is_pending


def test_an_unknown_status_is_neither_final_nor_completed() -> None:
    transaction = ligdicash.Transaction.from_wire({"status": "refunded"})
    assert transaction.status == "refunded"
    assert not transaction.is_final
    assert not transaction.is_completed


def test_wiki_is_always_a_list() -> None:
    assert parse_wiki("https://w") == ["https://w"]
    assert parse_wiki(["https://a", None, "https://b"]) == ["https://a", "https://b"]
    assert parse_wiki(None) == []
    assert parse_wiki({"02": "https://c"}) == ["https://c"]


def test_models_are_immutable() -> None:
    transaction = ligdicash.Transaction.from_wire({"status": "pending"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        transaction.status = "completed"  # type: ignore[misc]


def test_the_full_status_answer_of_the_wire_contract_is_read() -> None:
    payload = json.loads("""{"response_code": "00", "token": "eyJ0", "response_text": "",
      "description": "", "wiki": "https://client.ligdicash.com/wiki/confirm",
      "custom_data": [{"id_invoice": "1", "keyof_customdata": "transaction_id",
                       "valueof_customdata": "ORD-1", "datecreation_customdata": "x"}],
      "status": "completed", "amount": null, "montant": "31500.00", "operator_id": 7,
      "operator_name": "Moov Africa", "customer": "22660000001", "external_id": null,
      "transaction_id": "T-1", "request_id": "R-1", "date": "2024-05-12 10:01:00",
      "new_field_from_2027": {"x": 1}}""")
    transaction = ligdicash.Transaction.from_wire(payload)
    assert transaction.amount == 31500 == transaction.montant
    assert transaction.operator_id == "7"
    assert transaction.external_id == ""
    assert transaction.custom_data == {"transaction_id": "ORD-1"}
    assert transaction.raw["new_field_from_2027"] == {"x": 1}
