"""Hostile input never breaks the sandbox: each gets the refusal the real API would give (or
a 400 on the control API), and the whole state stays readable afterwards."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, create, payin_body, payout_body

from ligdicash.sandbox import Sandbox, SandboxConfig

HOSTED = "redirect/checkout-invoice/create"


def _raw_create(api: httpx.Client, path: str, text: str) -> dict[str, Any]:
    response = api.post(path, content=text.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _assert_state_readable(sb: Sandbox, api: httpx.Client) -> None:
    """The control API, the dashboard, a fresh payment page and a status call all answer."""
    listing = httpx.get(sb.url + "/_sandbox/transactions", trust_env=False)
    assert listing.status_code == 200, listing.text
    assert httpx.get(sb.url + "/_sandbox/", trust_env=False).status_code == 200
    for record in listing.json()["transactions"]:
        if record["flow"] == "hosted":
            page = httpx.get(f"{sb.url}/pay/invoice/{record['token']}", trust_env=False)
            assert page.status_code == 200, page.text
    fresh = create(api, HOSTED, payin_body())
    assert fresh["response_code"] == "00"
    assert httpx.get(fresh["response_text"], trust_env=False).status_code == 200
    assert confirm(api, "payin", fresh["token"])["status"] == "pending"


def _refusal_code(answer: dict[str, Any]) -> str:
    assert answer["response_code"] == "01", answer
    assert answer["token"] == ""
    return str(answer["response_text"])


@pytest.mark.parametrize("where", ["unit_price", "quantity", "total_amount"])
def test_a_number_beyond_float_range_is_refused_as_an_invalid_amount(
    sb: Sandbox, api: httpx.Client, where: str
) -> None:
    text = json.dumps(payin_body())
    # json.dumps cannot write 1e999, so put the literal in the raw text.
    marker = {"unit_price": '"unit_price": 15000', "quantity": '"quantity": 2'}
    if where == "total_amount":
        text = text.replace('"total_amount": 31500', '"total_amount": 1e999')
    else:
        text = text.replace(marker[where], f'"{where}": 1e999', 1)

    assert _refusal_code(_raw_create(api, HOSTED, text)) == "Echec (Code02)"
    assert sb.transactions() == []
    _assert_state_readable(sb, api)


@pytest.mark.parametrize("where", ["unit_price", "quantity", "total_amount"])
def test_a_400_digit_amount_is_refused_as_an_invalid_amount(
    sb: Sandbox, api: httpx.Client, where: str
) -> None:
    body = payin_body()
    if where == "total_amount":
        body["commande"]["invoice"]["total_amount"] = 10**400
    else:
        body["commande"]["invoice"]["items"][0][where] = 10**400

    assert _refusal_code(create(api, HOSTED, body)) == "Echec (Code02)"
    _assert_state_readable(sb, api)


@pytest.mark.parametrize(
    ("path", "client", "code"),
    [("withdrawal/create", True, "Echec (Code05)"), ("straight/payout", False, "Echec (Code02)")],
)
def test_huge_payout_amounts_are_refused_with_the_family_amount_code(
    sb: Sandbox, api: httpx.Client, path: str, client: bool, code: str
) -> None:
    assert _refusal_code(create(api, path, payout_body(amount=10**400, client=client))) == code
    text = json.dumps(payout_body(client=client)).replace('"amount": 5000', '"amount": 1e999')
    assert _refusal_code(_raw_create(api, path, text)) == code
    assert sb.balance() == 10_000_000
    _assert_state_readable(sb, api)


def test_json_nested_100k_deep_reads_as_an_unreadable_body(sb: Sandbox, api: httpx.Client) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = json.dumps(payin_body()).replace(
        '"custom_data": {"transaction_id": "ORD-20240512"}', f'"custom_data": {deep}'
    )
    # PHP's json_decode gives up past 512 levels: the backend then reads an empty body.
    answer = _raw_create(api, HOSTED, text)
    assert _refusal_code(answer) == "Echec (Code04)"
    assert answer["response_text_details"] == 'Undefined array key "commande"'
    _assert_state_readable(sb, api)


@pytest.mark.parametrize(
    ("path", "text", "code"),
    [
        (HOSTED, json.dumps(payin_body()).replace("Kente shirt", "\\ud800"), "Echec (Code04)"),
        (
            "withdrawal/create",
            json.dumps(payout_body()).replace("REFUND", "\\udfff"),
            "Echec (Code08)",
        ),
        (
            HOSTED,
            json.dumps(payin_body()).replace('"transaction_id"', '"\\udc80"'),
            "Echec (Code04)",
        ),
    ],
)
def test_a_lone_surrogate_reads_as_an_unreadable_body(
    sb: Sandbox, api: httpx.Client, path: str, text: str, code: str
) -> None:
    # PHP's json_decode refuses it (JSON_ERROR_UTF16): the backend sees an empty body.
    answer = _raw_create(api, path, text)
    assert _refusal_code(answer) == code
    assert answer["response_text_details"] == 'Undefined array key "commande"'
    assert sb.transactions() == []
    _assert_state_readable(sb, api)


def test_a_lone_surrogate_in_a_control_body_is_a_400(sb: Sandbox, api: httpx.Client) -> None:
    response = httpx.post(
        sb.url + "/_sandbox/faults",
        content='{"kind": "http_500", "path": "\\ud800"}',
        headers={"content-type": "application/json"},
        trust_env=False,
    )
    assert response.status_code == 400
    assert httpx.get(sb.url + "/_sandbox/faults", trust_env=False).json() == {"faults": []}
    _assert_state_readable(sb, api)


def test_nan_and_infinity_literals_are_not_json(sb: Sandbox, api: httpx.Client) -> None:
    text = json.dumps(payin_body()).replace('"total_amount": 31500', '"total_amount": NaN')
    assert _refusal_code(_raw_create(api, HOSTED, text)) == "Echec (Code04)"
    _assert_state_readable(sb, api)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_500", "count": "1e999"},
        {"kind": "latency", "latency_ms": 1e20},
        {"kind": "http_500", "path": ["confirm"]},
        {"kind": "http_500", "path": {"a": 1}},
        {"kind": "http_500", "count": 0},
        {"kind": "http_500", "count": 2.5},
        {"kind": "http_500", "count": True},
        {"kind": "latency", "latency_ms": -1},
        {"kind": "latency", "latency_ms": 120_001},
        {"kind": ["latency"]},
        {"kind": "http_500", "count": 10**400},
    ],
)
def test_a_malformed_fault_is_a_400_and_plans_nothing(
    sb: Sandbox, api: httpx.Client, fault: dict[str, Any]
) -> None:
    response = httpx.post(sb.url + "/_sandbox/faults", json=fault, trust_env=False)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert sb.faults() == []
    _assert_state_readable(sb, api)


@pytest.mark.parametrize("field", ["count", "latency_ms"])
def test_a_fault_number_beyond_float_range_is_a_400(
    sb: Sandbox, api: httpx.Client, field: str
) -> None:
    text = '{"kind": "latency", "' + field + '": 1e999}'
    response = httpx.post(
        sb.url + "/_sandbox/faults",
        content=text,
        headers={"content-type": "application/json"},
        trust_env=False,
    )
    assert response.status_code == 400, response.text
    assert sb.faults() == []
    _assert_state_readable(sb, api)


def test_the_largest_accepted_latency_and_count_are_planned(sb: Sandbox) -> None:
    fault = sb.add_fault("latency", count=1_000_000, path="nowhere", latency_ms=120_000)
    assert (fault["remaining"], fault["latency_ms"]) == (1_000_000, 120_000)
    sb.add_fault("latency", count=3.0, path="nowhere")  # type: ignore[arg-type]


def test_control_bodies_nested_too_deep_are_a_400(sb: Sandbox, api: httpx.Client) -> None:
    deep = '{"balance": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for path in ("balance", "faults"):
        response = httpx.post(
            f"{sb.url}/_sandbox/{path}",
            content=deep,
            headers={"content-type": "application/json"},
            trust_env=False,
        )
        assert response.status_code == 400, response.text
    _assert_state_readable(sb, api)


def test_a_database_holding_infinity_from_an_older_sandbox_stays_readable(
    tmp_path: Path, make_sandbox: Any
) -> None:
    db = tmp_path / "old.sqlite"
    first = make_sandbox(SandboxConfig.fast(db_path=str(db)))
    with httpx.Client(base_url=first.base_url, headers=first.auth_headers) as api:
        token = create(api, HOSTED, payin_body())["token"]
    first.stop()
    # What an older sandbox stored for ``unit_price: 1e999``.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE transactions SET details = ?, custom_data = ? WHERE token = ?",
            (
                '{"items": [{"name": "x", "quantity": 1, "unit_price": Infinity}]}',
                '{"n": -Infinity, "m": NaN}',
                token,
            ),
        )
    conn.close()

    again = make_sandbox(SandboxConfig.fast(db_path=str(db)))
    with httpx.Client(base_url=again.base_url, headers=again.auth_headers) as api:
        _assert_state_readable(again, api)
        assert confirm(api, "payin", token)["status"] == "pending"
