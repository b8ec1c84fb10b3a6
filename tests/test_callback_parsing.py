"""parse_callback: both encodings, both custom_data shapes, garbage refused cleanly, fuzzed."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ligdicash
from ligdicash._callbacks import MAX_BODY_BYTES, callback_hash, unflatten_form
from ligdicash.sandbox._callbacks import flatten

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
API_KEY, AUTH_TOKEN = "api-key-1", "auth-token-1"
CB_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJjYWxsYmFjayI6MX0.sig-of-callback"


def wire_fields(**extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "token": CB_TOKEN,
        "status": "completed",
        "response_code": "00",
        "response_text": "Transaction effectuee avec succes",
        "amount": "31500",
        "montant": "31500.00",
        "operator_id": "2",
        "operator_name": "Orange Money",
        "customer": "22670123456",
        "external_id": "",
        "transaction_id": "MP240512.1000.A12345",
        "request_id": "REQ-1",
        "date": "2024-05-12 10:01:00",
        "hash": callback_hash(API_KEY, CB_TOKEN, AUTH_TOKEN),
    }
    fields.update(extra)
    return fields


RECORDS = [
    {
        "id_invoice": "15459012",
        "keyof_customdata": "transaction_id",
        "valueof_customdata": "ORD-20240512",
        "datecreation_customdata": "2024-05-12 10:00:00",
    },
    {"id_invoice": "15459012", "keyof_customdata": "cart", "valueof_customdata": "7"},
]
EXPECTED_CUSTOM_DATA = {"transaction_id": "ORD-20240512", "cart": "7"}


def as_json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields).encode()


def as_form(fields: dict[str, Any]) -> bytes:
    return urlencode(flatten(fields, "")).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(as_json(wire_fields(custom_data=RECORDS)), JSON, id="json-records"),
        pytest.param(
            as_json(wire_fields(custom_data=EXPECTED_CUSTOM_DATA)), JSON, id="json-object"
        ),
        pytest.param(
            as_form(wire_fields(custom_data=EXPECTED_CUSTOM_DATA)), FORM, id="form-object"
        ),
        pytest.param(as_form(wire_fields(custom_data=RECORDS)), FORM, id="form-records"),
        pytest.param(
            as_json(wire_fields(custom_data=json.dumps(RECORDS))), JSON, id="json-records-as-text"
        ),
    ],
)
def test_both_encodings_and_both_custom_data_shapes_give_the_same_callback(
    body: bytes, content_type: str
) -> None:
    callback = ligdicash.parse_callback(body, content_type)
    assert callback.token == CB_TOKEN
    assert callback.status == "completed"
    assert callback.amount == 31500
    assert callback.custom_data == EXPECTED_CUSTOM_DATA
    assert callback.order_id == "ORD-20240512"
    assert callback.transaction_id == "MP240512.1000.A12345"
    assert callback.operator_name == "Orange Money"
    assert callback.hash == wire_fields()["hash"]
    assert callback.encoding == ("form" if content_type == FORM else "json")


def test_a_form_callback_keeps_its_unflattened_payload_in_raw() -> None:
    body = b"token=t1&status=completed&custom_data%5Btransaction_id%5D=ORD-1&custom_data[x]=2"
    callback = ligdicash.parse_callback(body, FORM)
    assert callback.raw == {
        "token": "t1",
        "status": "completed",
        "custom_data": {"transaction_id": "ORD-1", "x": "2"},
    }


@pytest.mark.parametrize(
    ("raw_status", "status"),
    [
        ("completed", "completed"),
        ("nocompleted", "cancelled"),
        ("notcompleted", "cancelled"),
        ("pending", "pending"),
        ("COMPLETED", "completed"),
        ("weird", "weird"),
    ],
)
def test_status_is_normalised_as_on_transaction_and_the_raw_word_is_kept(
    raw_status: str, status: str
) -> None:
    callback = ligdicash.parse_callback(as_json(wire_fields(status=raw_status)), JSON)
    transaction = ligdicash.Transaction.from_wire({"status": raw_status})
    assert (callback.status, callback.raw_status) == (status, raw_status)
    assert callback.status == transaction.status
    assert callback.is_final == transaction.is_final


def test_camel_case_keys_and_the_french_amount_are_read() -> None:
    body = {
        "Token": "t1",
        "Status": "completed",
        "montant": "31 500.00",
        "operatorName": "Moov",
        "customData": {"transaction_id": "ORD-1"},
    }
    callback = ligdicash.parse_callback(json.dumps(body).encode(), JSON)
    assert callback.token == "t1"
    assert callback.amount == callback.montant == 31500
    assert callback.operator_name == "Moov"
    assert callback.custom_data == {"transaction_id": "ORD-1"}


def test_a_content_type_with_parameters_or_missing_is_still_understood() -> None:
    json_body = as_json(wire_fields())
    form_body = as_form(wire_fields())
    assert ligdicash.parse_callback(json_body, "Application/JSON; charset=UTF-8").encoding == "json"
    assert ligdicash.parse_callback(json_body, "").encoding == "json"
    assert ligdicash.parse_callback(form_body, "text/plain").encoding == "form"


def test_a_callback_is_immutable() -> None:
    callback = ligdicash.parse_callback(as_json(wire_fields()), JSON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        callback.status = "cancelled"  # type: ignore[misc]


def test_the_repr_masks_the_phone_and_never_shows_the_hash_or_token_whole() -> None:
    callback = ligdicash.parse_callback(as_json(wire_fields()), JSON)
    shown = repr(callback)
    assert "22670123456" not in shown
    assert "226*****456" in shown
    assert callback.hash not in shown
    assert callback.hash[:8] in shown
    assert CB_TOKEN not in shown


def test_redacted_gives_the_raw_payload_fit_for_a_log() -> None:
    callback = ligdicash.parse_callback(as_json(wire_fields()), JSON)
    redacted = callback.redacted()
    assert redacted["hash"] == "<redacted>"
    assert redacted["customer"] == "226*****456"
    assert CB_TOKEN not in json.dumps(redacted)
    assert redacted["amount"] == "31500"


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (b"", JSON, "empty"),
        (b"  \n", FORM, "empty"),
        (b"<html>502 Bad Gateway</html>", JSON, "not valid JSON"),
        (b'{"token": "t", "status": ', JSON, "not valid JSON"),
        (b"[1, 2]", JSON, "JSON list"),
        (b'"completed"', JSON, "JSON str"),
        (b"\xff\xfe\x00garbage", JSON, "not valid"),
        (b"{}", JSON, "no status"),
        (b'{"token": ["a"], "status": ["completed"]}', JSON, "no status"),
        (b'{"token": "t", "status": null}', JSON, "no status"),
        (b"token=&status=", FORM, "no status"),
        (b"token=t&status=", FORM, "no status"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, "nested"),
        (b"token=t&status=completed", "multipart/form-data; boundary=x", "unsupported"),
        (b"a=" + b"x" * MAX_BODY_BYTES, FORM, "larger than"),
        (b"&".join(b"k%d=v" % i for i in range(2000)), FORM, "too many fields"),
    ],
)
def test_garbage_raises_a_clear_invalid_callback_error(
    body: bytes, content_type: str, words: str
) -> None:
    with pytest.raises(ligdicash.InvalidCallbackError) as info:
        ligdicash.parse_callback(body, content_type)
    assert isinstance(info.value, ligdicash.CallbackError)
    assert isinstance(info.value, ligdicash.LigdicashError)
    assert info.value.code == "invalid_callback"
    assert words in info.value.message


def test_an_amount_too_large_for_francs_reads_as_no_amount_instead_of_crashing() -> None:
    callback = ligdicash.parse_callback(as_json(wire_fields(amount="1e30", montant=None)), JSON)
    assert callback.amount is None


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("a[b][c]", "1")], {"a": {"b": {"c": "1"}}}),
        ([("a[]", "x"), ("a[]", "y")], {"a": {"0": "x", "1": "y"}}),
        ([("a", "1"), ("a[b]", "2")], {"a": {"b": "2"}}),
        ([("a[b]", "2"), ("a", "1")], {"a": "1"}),
        ([("a[b", "1")], {"a[b": "1"}),
        ([("[x]", "1")], {"[x]": "1"}),
        ([("a[b]junk", "1")], {"a": {"bjunk": "1"}}),
    ],
)
def test_form_keys_unflatten_like_php_and_never_raise(
    pairs: list[tuple[str, str]], expected: dict[str, Any]
) -> None:
    assert unflatten_form(pairs) == expected


# -- hypothesis -------------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    ["token", "status", "amount", "montant", "custom_data", "customData", "hash", "customer"]
) | st.text(max_size=12)
content_types = st.sampled_from([JSON, FORM, "", "text/plain", "application/json; charset=latin-1"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=2000), content_type=content_types | st.text(max_size=40))
def test_fuzzed_bytes_give_a_callback_or_an_invalid_callback_error(
    body: bytes, content_type: str
) -> None:
    try:
        callback = ligdicash.parse_callback(body, content_type)
    except ligdicash.InvalidCallbackError:
        return
    assert callback.token
    repr(callback)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(field_names, json_values, max_size=8),
    content_type=content_types,
    as_form_body=st.booleans(),
)
def test_fuzzed_payloads_in_either_encoding_never_crash(
    payload: dict[str, Any], content_type: str, as_form_body: bool
) -> None:
    body = as_form(payload) if as_form_body else json.dumps(payload).encode()
    try:
        callback = ligdicash.parse_callback(body, content_type)
    except ligdicash.InvalidCallbackError:
        return
    assert isinstance(callback.custom_data, dict)
    assert callback.amount is None or isinstance(callback.amount, int)
    repr(callback)
    callback.redacted()
    callback.hash_matches(api_key=API_KEY, auth_token=AUTH_TOKEN)


safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=20
)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    token=st.from_regex(r"[A-Za-z0-9._-]{1,60}", fullmatch=True),
    status=st.sampled_from(["completed", "nocompleted", "notcompleted", "pending"]),
    amount=st.integers(min_value=20, max_value=1_000_000),
    custom_data=st.dictionaries(keys, safe_text, max_size=5),
)
def test_the_json_copy_and_the_form_copy_of_one_event_parse_equal(
    token: str, status: str, amount: int, custom_data: dict[str, str]
) -> None:
    fields = {"token": token, "status": status, "amount": amount}
    records = [{"keyof_customdata": k, "valueof_customdata": v} for k, v in custom_data.items()]
    from_json = ligdicash.parse_callback(as_json({**fields, "custom_data": records}), JSON)
    from_form = ligdicash.parse_callback(as_form({**fields, "custom_data": custom_data}), FORM)
    assert dataclasses.replace(from_form, encoding="json") == from_json
    assert from_json.custom_data == custom_data
