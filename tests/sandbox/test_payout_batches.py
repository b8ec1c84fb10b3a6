"""The sandbox plays along for bulk payouts: callbacks echo each item's ``custom_data``, the
balance moves item by item, unknown numbers and duplicates get their refusal codes, and
every fault kind can be aimed at the payout creation endpoints alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, create, payout_body, wait_until

from ligdicash.sandbox import CallbackReceiver, Sandbox
from ligdicash.sandbox._faults import KINDS

ENDPOINTS = {"client": "withdrawal/create", "merchant": "straight/payout"}
FAMILY = {"client": "client_payout", "merchant": "merchant_payout"}
BOTH = pytest.mark.parametrize("kind", ["client", "merchant"])


def _item(kind: str, rx: CallbackReceiver, n: int, **changes: Any) -> dict[str, Any]:
    body = payout_body(
        transaction_id=f"BATCH-7-{n:06d}", callback_url=rx.callback_url, client=kind == "client"
    )
    body["commande"]["custom_data"]["ledger_item"] = str(n)
    body["commande"].update(changes)
    return body


@BOTH
def test_payout_callbacks_echo_the_items_custom_data_in_both_encodings(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str
) -> None:
    token = create(api, ENDPOINTS[kind], _item(kind, receiver, 42))["token"]

    calls = receiver.wait_for(2)

    assert {c.content_type.split(";")[0] for c in calls} == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    for call in calls:
        assert call.fields["status"] == "completed"
        assert call.custom_value("ledger_item") == "42"
        assert call.custom_value("transaction_id") == "BATCH-7-000042"
    status = confirm(api, FAMILY[kind], token)
    echoed = {r["keyof_customdata"]: r["valueof_customdata"] for r in status["custom_data"]}
    assert echoed == {"transaction_id": "BATCH-7-000042", "ledger_item": "42"}


@BOTH
def test_a_batch_moves_the_balance_item_by_item_and_stops_when_it_runs_out(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str
) -> None:
    sb.set_balance(52_000)
    numbers = ["22670123456"] * 8 + ["22670000500"] * 2  # the last two fail and are refunded
    tokens = [
        create(api, ENDPOINTS[kind], _item(kind, receiver, n, customer=number))["token"]
        for n, number in enumerate(numbers)
    ]
    receiver.wait_for(20)
    statuses = [confirm(api, FAMILY[kind], t)["status"] for t in tokens]
    assert statuses == ["completed"] * 8 + ["nocompleted"] * 2
    assert sb.balance() == 12_000

    more = [create(api, ENDPOINTS[kind], _item(kind, receiver, n)) for n in (10, 11, 12)]
    low = {"client": "Echec (Code04)", "merchant": "Echec (Code08)"}[kind]
    assert [a["response_text"].startswith("Echec") for a in more] == [False, False, True]
    assert more[2]["response_text"] == low
    assert sb.balance() == 2_000


@pytest.mark.parametrize(
    ("kind", "number", "code"),
    [
        ("client", "22670000404", "Echec (Code02)"),  # no LigdiCash account
        ("client", "22690000000", "Echec (Code02)"),  # no operator
        ("merchant", "22690000000", "Echec (Code05)"),  # recipient operator not identified
    ],
)
def test_unknown_numbers_are_refused_per_family_and_cost_nothing(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str, number: str, code: str
) -> None:
    answer = create(api, ENDPOINTS[kind], _item(kind, receiver, 1, customer=number))
    assert (answer["response_code"], answer["response_text"]) == ("01", code)
    assert sb.balance() == 10_000_000
    assert sb.transactions() == []


def test_a_merchant_payout_to_a_number_without_account_works(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    body = _item("merchant", receiver, 1, customer="22670000404")
    assert create(api, ENDPOINTS["merchant"], body)["response_code"] == "00"


@pytest.mark.parametrize(("kind", "code"), [("client", "Code07"), ("merchant", "Code04")])
def test_a_repeated_item_is_refused_and_debited_once(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str, code: str
) -> None:
    first = create(api, ENDPOINTS[kind], _item(kind, receiver, 5))
    again = create(api, ENDPOINTS[kind], _item(kind, receiver, 5))

    assert first["response_code"] == "00"
    assert again["response_text"] == f"Echec ({code})"
    assert "BATCH-7-000005" in again["response_text_details"]
    assert sb.balance() == 10_000_000 - 5000
    assert len(sb.transactions()) == 1


def _send(api: httpx.Client, kind: str, body: dict[str, Any], timeout: float = 10) -> Any:
    try:
        return api.post(ENDPOINTS[kind], json=body, timeout=timeout)
    except httpx.TransportError as exc:  # drop, drop_after, a timed-out latency
        return exc


NOTHING_CREATED = {
    "http_500": 500,
    "http_502_html": 502,
    "http_429": 429,
    "not_json": 200,
    "drop": None,
}
CREATED = ("drop_after", "truncated_json", "latency")


def test_the_payout_fault_tests_cover_every_fault_kind() -> None:
    assert set(NOTHING_CREATED) | set(CREATED) == set(KINDS)


@BOTH
@pytest.mark.parametrize("fault", sorted(NOTHING_CREATED))
def test_a_fault_aimed_at_the_payout_creation_refuses_it_and_creates_nothing(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str, fault: str
) -> None:
    sb.add_fault(fault, path="/pay/v01/" + ENDPOINTS[kind])
    # The status endpoint (".../confirm") and the other payout family are not hit.
    assert confirm(api, FAMILY[kind], "x")["response_text"] == "Echec (Code02)"
    other = "merchant" if kind == "client" else "client"
    assert create(api, ENDPOINTS[other], _item(other, receiver, 1))["response_code"] == "00"
    assert len(sb.faults()) == 1

    answer = _send(api, kind, _item(kind, receiver, 2))

    if NOTHING_CREATED[fault] is None:
        assert isinstance(answer, httpx.TransportError)
    else:
        assert answer.status_code == NOTHING_CREATED[fault]
        assert "response_code" not in answer.text
    assert sb.faults() == []
    assert [t["custom_data"]["ledger_item"] for t in sb.transactions()] == ["1"]
    assert sb.balance() == 10_000_000 - 5000


@BOTH
@pytest.mark.parametrize("fault", CREATED)
def test_a_lost_payout_answer_still_creates_the_payout_and_its_callback_resolves_it(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver, kind: str, fault: str
) -> None:
    sb.add_fault(fault, path="/pay/v01/" + ENDPOINTS[kind], latency_ms=1500)

    # The latency outlasts the client's timeout: the client gives up, the server does not.
    answer = _send(api, kind, _item(kind, receiver, 3), timeout=0.3)

    if fault == "truncated_json":
        assert answer.status_code == 200
        with pytest.raises(ValueError):
            answer.json()
    else:
        assert isinstance(answer, httpx.TransportError)
    calls = receiver.wait_for(2, timeout=10)
    assert {c.custom_value("ledger_item") for c in calls} == {"3"}
    assert {c.fields["status"] for c in calls} == {"completed"}
    wait_until(lambda: len(sb.transactions()) == 1)
    assert sb.balance() == 10_000_000 - 5000


def test_a_substring_path_hits_creation_and_status_alike(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_500", count=2, path="withdrawal/")
    assert api.get("withdrawal/confirm/", params={"withdrawalToken": "x"}).status_code == 500
    assert api.post("withdrawal/create", json=payout_body()).status_code == 500
    assert confirm(api, "client_payout", "x")["response_text"] == "Echec (Code02)"
