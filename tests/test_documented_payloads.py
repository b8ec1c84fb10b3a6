"""The provider's documented callbacks and status answers, fed to the SDK as a user would.

Every payload comes from ``tests/fixtures/provider/`` (quoted from developers.ligdicash.com,
URL in each file): the payin callback (token "Always empty", hash and logfile inside
custom_data), its form copy (custom_data as stringified JSON), the payout callback (root
transaction_id = the merchant's id, custom_data []), and the payin and withdrawal status
answers. Status calls go over HTTP to the local fake server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash
from ligdicash._confirm import check_confirmation
from ligdicash.contrib import (
    CallbackProcessor,
    ExpectedTransaction,
    SQLiteIdempotencyStore,
)
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
    payload,
)

STORED_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.stored-at-creation.sig"
PAYOUT_KINDS = ("client_payout", "merchant_payout")
DOCUMENTED_HASH = "f918c54d54cdc334ade09f8c228a224b1d3df646250c84dcdd99af528ddcd450"


def payin_callback(encoding: str) -> ligdicash.Callback:
    if encoding == "json":
        return ligdicash.parse_callback(json_body("payin_callback"), JSON)
    return ligdicash.parse_callback(form_body("payin_callback_form"), FORM)


def payout_callback(encoding: str) -> ligdicash.Callback:
    if encoding == "json":
        return ligdicash.parse_callback(json_body("payout_callback"), JSON)
    return ligdicash.parse_callback(form_body("payout_callback_form"), FORM)


# -- parse_callback --------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_documented_payin_callback_parses_with_its_empty_token(encoding: str) -> None:
    callback = payin_callback(encoding)
    assert callback.token == ""
    assert callback.status == "completed"
    assert callback.amount == PAYIN_AMOUNT
    assert callback.order_id == PAYIN_ORDER
    assert callback.encoding == encoding
    assert callback.request_id == "P2777636082026"
    assert callback.date == "2026-05-09 07:20:23+00"


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_hash_and_logfile_are_read_from_custom_data_and_kept_apart(encoding: str) -> None:
    callback = payin_callback(encoding)
    assert callback.custom_data == {"transaction_id": PAYIN_ORDER}
    assert callback.hash == DOCUMENTED_HASH
    assert callback.has_hash
    assert callback.provider_data == {
        "hash": DOCUMENTED_HASH,
        "logfile": "2026050907202369fee03756652",
    }
    # The hash is withheld from what is logged, in records and in the form's JSON text.
    assert DOCUMENTED_HASH not in repr(callback)
    assert DOCUMENTED_HASH not in json.dumps(callback.redacted())


def test_a_top_level_hash_still_wins_over_the_custom_data_record() -> None:
    body = payload("payin_callback")
    body["hash"] = "ab" * 32
    callback = ligdicash.parse_callback(json.dumps(body).encode(), JSON)
    assert callback.hash == "ab" * 32


def test_the_hash_in_custom_data_is_verified_like_a_top_level_one() -> None:
    body = json_body("payin_callback", api_key="k", auth_token="t")
    callback = ligdicash.parse_callback(body, JSON)
    callback.verify_hash(api_key="k", auth_token="t")
    assert not callback.hash_matches(api_key="k", auth_token="other")


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_documented_payout_callback_names_the_order_by_its_root_transaction_id(
    encoding: str,
) -> None:
    callback = payout_callback(encoding)
    assert callback.custom_data == {}
    assert callback.order_id == PAYOUT_ORDER
    assert callback.amount == PAYOUT_AMOUNT
    assert callback.status == "completed"


def test_custom_data_wins_over_the_root_transaction_id_when_both_exist() -> None:
    body = payload("payout_callback")
    body["custom_data"] = [{"keyof_customdata": "transaction_id", "valueof_customdata": "PO-7"}]
    callback = ligdicash.parse_callback(json.dumps(body).encode(), JSON)
    assert callback.order_id == "PO-7"


def test_an_operator_reference_at_the_root_is_never_taken_for_the_order() -> None:
    body = payload("payout_callback")
    body["transaction_id"] = "MP240512.1000.A12345"  # differs from external_id
    callback = ligdicash.parse_callback(json.dumps(body).encode(), JSON)
    assert callback.order_id == ""


def test_php_bracket_form_keys_are_still_read() -> None:
    body = (
        b"token=&status=notcompleted&amount=4200&custom_data%5Btransaction_id%5D=ORD-1"
        b"&custom_data%5Bhash%5D=" + b"cd" * 32
    )
    callback = ligdicash.parse_callback(body, FORM)
    assert callback.status == "cancelled"
    assert callback.order_id == "ORD-1"
    assert callback.custom_data == {"transaction_id": "ORD-1"}
    assert callback.hash == "cd" * 32


# -- check_confirmation ---------------------------------------------------------------------
def payin_answer(**changes: object) -> ligdicash.Transaction:
    return ligdicash.Transaction.from_wire(confirm_answer("payin_confirm", **changes))


def payout_answer(**changes: object) -> ligdicash.Transaction:
    return ligdicash.Transaction.from_wire(
        confirm_answer("withdrawal_confirm", STORED_TOKEN, **changes)
    )


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_documented_payin_answer_confirms_the_documented_callback(encoding: str) -> None:
    tx = check_confirmation(
        payin_answer(),
        payin_callback(encoding),
        expected_amount=PAYIN_AMOUNT,
        expected_transaction_id=PAYIN_ORDER,
    )
    assert tx.is_completed
    assert tx.custom_data == {"transaction_id": PAYIN_ORDER}
    assert tx.provider_data["logfile"] == "2026050907202369fee03756652"


def test_keys_ligdicash_adds_never_count_as_a_custom_data_mismatch() -> None:
    records = payload("payin_confirm")["custom_data"]
    answer = [r for r in records if r["keyof_customdata"] == "transaction_id"]
    answer.append({"keyof_customdata": "logfile", "valueof_customdata": "another-log"})
    tx = check_confirmation(
        payin_answer(custom_data=answer),
        payin_callback("json"),
        expected_amount=PAYIN_AMOUNT,
        expected_transaction_id=PAYIN_ORDER,
    )
    assert tx.custom_data == {"transaction_id": PAYIN_ORDER}


def test_a_payin_answer_with_another_amount_still_raises() -> None:
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        check_confirmation(payin_answer(amount=42, montant=42), payin_callback("json"))
    assert info.value.field == "amount"


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_documented_withdrawal_answer_confirms_the_documented_payout_callback(
    kind: str, encoding: str
) -> None:
    tx = check_confirmation(
        payout_answer(),
        payout_callback(encoding),
        expected_amount=PAYOUT_AMOUNT,
        expected_transaction_id=PAYOUT_ORDER,
        type=kind,  # type: ignore[arg-type]
    )
    assert tx.is_completed
    assert tx.amount is None


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_a_payout_answer_whose_amount_is_present_and_differs_still_raises(kind: str) -> None:
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        check_confirmation(
            payout_answer(amount="200", montant="200"),
            payout_callback("json"),
            expected_amount=PAYOUT_AMOUNT,
            type=kind,  # type: ignore[arg-type]
        )
    assert info.value.field == "amount"


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_a_payout_callback_contradicting_the_amount_sent_is_not_confirmed_by_an_amountless_answer(
    kind: str,
) -> None:
    # The documented answer cannot say which amount was paid: the callback's own amount,
    # when it differs from what was sent, is a mismatch (the status alone may still settle).
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        check_confirmation(
            payout_answer(),
            payout_callback("json"),
            expected_amount=PAYOUT_AMOUNT + 1,
            type=kind,  # type: ignore[arg-type]
        )
    assert info.value.field == "amount"


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_a_payout_answer_naming_another_order_still_raises(kind: str) -> None:
    other = [{"keyof_customdata": "transaction_id", "valueof_customdata": "SOMEONE-ELSE"}]
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        check_confirmation(
            payout_answer(custom_data=other),
            payout_callback("json"),
            expected_transaction_id=PAYOUT_ORDER,
            type=kind,  # type: ignore[arg-type]
        )
    assert info.value.field == "transaction_id"


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_a_failed_payout_answer_does_not_confirm_a_completed_callback(kind: str) -> None:
    with pytest.raises(ligdicash.CallbackMismatchError) as info:
        check_confirmation(
            payout_answer(status="notcompleted"),
            payout_callback("json"),
            type=kind,  # type: ignore[arg-type]
        )
    assert info.value.field == "status"


# -- confirm_callback over HTTP -------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_confirm_callback_uses_the_stored_token_for_a_callback_without_one(
    client: ligdicash.Client, fake: FakeLigdicash, encoding: str
) -> None:
    fake.push_json(confirm_answer("payin_confirm"))
    tx = client.confirm_callback(
        payin_callback(encoding),
        token=STORED_TOKEN,
        expected_amount=PAYIN_AMOUNT,
        expected_transaction_id=PAYIN_ORDER,
    )
    assert tx.is_completed
    (request,) = fake.wait_for_requests(1)
    assert request.query["invoiceToken"] == [STORED_TOKEN]


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
def test_confirm_callback_confirms_a_documented_payout(
    client: ligdicash.Client, fake: FakeLigdicash, kind: str
) -> None:
    fake.push_json(confirm_answer("withdrawal_confirm", STORED_TOKEN))
    tx = client.confirm_callback(
        payout_callback("json"),
        token=STORED_TOKEN,
        type=kind,  # type: ignore[arg-type]
        expected_amount=PAYOUT_AMOUNT,
        expected_transaction_id=PAYOUT_ORDER,
    )
    assert tx.is_completed


# -- CallbackProcessor ----------------------------------------------------------------------
class Orders:
    """The merchant's records: what was stored at creation, by order id."""

    def __init__(self, *expected: tuple[str, ExpectedTransaction]) -> None:
        self.by_order = dict(expected)
        self.delivered: list[ligdicash.Transaction] = []

    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return self.by_order.get(callback.order_id)

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        self.delivered.append(transaction)


MakeProcessor = Callable[[Orders], CallbackProcessor]


def payin_orders() -> Orders:
    expected = ExpectedTransaction(STORED_TOKEN, PAYIN_AMOUNT, PAYIN_ORDER)
    return Orders((PAYIN_ORDER, expected))


def payout_orders(kind: str) -> Orders:
    expected = ExpectedTransaction(STORED_TOKEN, PAYOUT_AMOUNT, PAYOUT_ORDER, kind)  # type: ignore[arg-type]
    return Orders((PAYOUT_ORDER, expected))


@pytest.fixture
def make_processor(
    fake: FakeLigdicash, tmp_path: Path
) -> Iterator[Callable[[Orders], CallbackProcessor]]:
    """Processors on the fake server's status calls, closed after the test."""
    made: list[CallbackProcessor] = []

    def make(orders: Orders) -> CallbackProcessor:
        client = ligdicash.Client(
            api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
        )
        proc = CallbackProcessor(
            lookup=orders.lookup,
            handler=orders.deliver,
            client=client,
            store=SQLiteIdempotencyStore(tmp_path / f"claims-{len(made)}.sqlite3"),
        )
        made.append(proc)
        return proc

    yield make
    for proc in made:
        proc.store.close()
        assert isinstance(proc.client, ligdicash.Client)
        proc.client.close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(lambda: json_body("payin_callback"), JSON, id="json"),
        pytest.param(lambda: form_body("payin_callback_form"), FORM, id="form"),
    ],
)
def test_the_processor_delivers_a_documented_payin_once(
    fake: FakeLigdicash, make_processor: MakeProcessor, body: object, content_type: str
) -> None:
    orders = payin_orders()
    fake.push_json(confirm_answer("payin_confirm"))
    proc = make_processor(orders)
    result = proc.process(body(), content_type)  # type: ignore[operator]
    assert result.outcome == "processed", result
    assert [t.custom_data for t in orders.delivered] == [{"transaction_id": PAYIN_ORDER}]
    (request,) = fake.wait_for_requests(1)
    assert request.query["invoiceToken"] == [STORED_TOKEN]


@pytest.mark.parametrize("kind", PAYOUT_KINDS)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_processor_delivers_a_documented_payout_once(
    fake: FakeLigdicash, make_processor: MakeProcessor, kind: str, encoding: str
) -> None:
    orders = payout_orders(kind)
    fake.push_json(confirm_answer("withdrawal_confirm", STORED_TOKEN))
    proc = make_processor(orders)
    if encoding == "json":
        result = proc.process(json_body("payout_callback"), JSON)
    else:
        result = proc.process(form_body("payout_callback_form"), FORM)
    assert result.outcome == "processed", result
    assert len(orders.delivered) == 1
    (request,) = fake.wait_for_requests(1)
    # Both payout kinds: the documented route (withdrawal/confirm) answers first.
    assert request.query == {"withdrawalToken": [STORED_TOKEN]}


def test_the_async_processor_delivers_a_documented_payin(
    fake: FakeLigdicash, tmp_path: Path
) -> None:
    orders = payin_orders()
    fake.push_json(confirm_answer("payin_confirm"))

    async def run() -> str:
        async with ligdicash.AsyncClient(
            api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
        ) as client:
            proc = CallbackProcessor(
                lookup=orders.lookup,
                handler=orders.deliver,
                client=client,
                store=SQLiteIdempotencyStore(tmp_path / "claims.sqlite3"),
            )
            try:
                return (await proc.aprocess(json_body("payin_callback"), JSON)).outcome
            finally:
                proc.store.close()

    assert asyncio.run(run()) == "processed"
    assert len(orders.delivered) == 1


def test_the_processor_verifies_the_hash_read_from_custom_data(
    fake: FakeLigdicash, make_processor: MakeProcessor
) -> None:
    orders = payin_orders()
    proc = make_processor(orders)
    proc.verify_hash = True
    # The documented hash was made with other credentials: refused before any request.
    refused = proc.process(json_body("payin_callback"), JSON)
    assert (refused.outcome, refused.reason) == ("refused", "invalid_hash")
    assert fake.requests == []
    fake.push_json(confirm_answer("payin_confirm"))
    signed = json_body("payin_callback", api_key=fake.api_key, auth_token=fake.auth_token)
    assert proc.process(signed, JSON).outcome == "processed"
