"""What a payout callback leaves behind, pinned where mutation testing of ``payouts/_settle.py``
(``scripts/mutation.sh settle``) found that nothing would notice a change: the evidence kept
for an item without a token (which amounts, which hash verdict), the outcome when another
copy settled the item during the status call, and the async entry point.

The sandbox answers the status calls and sends the genuine callbacks; a forged callback is
a body anyone could post.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_settlement_guards import PHONE, in_doubt_item, send_for

import ligdicash
from ligdicash import Client
from ligdicash.payouts import (
    CallbackOutcome,
    Ledger,
    WorkerIdentity,
    aapply_callback,
    apoll_sent,
    apply_callback,
    load_batch,
    open_ledger,
    poll_sent,
)
from ligdicash.sandbox import CallbackReceiver

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def forged(item_id: str, *, amount: Any = 150, status: str = "completed", **extra: Any) -> bytes:
    return json.dumps(
        {
            "token": "cb-token",
            "status": status,
            "amount": amount,
            "custom_data": {"transaction_id": item_id},
            **extra,
        }
    ).encode()


def wait_until(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("said", "kept"),
    [(0, 0), (150, 150), (10**15 - 1, 10**15 - 1), (10**15, None), (-1, None), (10**18, None)],
)
def test_the_evidence_keeps_a_plausible_amount_and_shows_an_absurd_one_as_absent(
    ledger: Ledger, sb_client: Client, said: int, kept: Any
) -> None:
    _, item = in_doubt_item(ledger)
    outcome = apply_callback(ledger, sb_client, forged(item.id, amount=said), JSON)
    assert outcome == CallbackOutcome(item.id, "in_doubt", "recorded")
    (evidence,) = ledger.callback_evidence(item.id)
    assert evidence.amount == kept
    assert ledger.get(item.id).status == "in_doubt"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("keys", "with_hash", "verdict"),
    [
        ({}, True, "unchecked"),
        ({"api_key": "k"}, True, "unchecked"),
        ({"auth_token": "t"}, True, "unchecked"),
        ({"api_key": "k", "auth_token": "t"}, True, "wrong"),
        ({"api_key": "k", "auth_token": "t"}, False, "absent"),
    ],
)
def test_the_hash_verdict_needs_both_keys(
    ledger: Ledger, sb_client: Client, keys: dict[str, str], with_hash: bool, verdict: str
) -> None:
    # With one key missing the hash cannot be checked: "unchecked", never "wrong".
    _, item = in_doubt_item(ledger)
    extra = {"hash": "ab" * 32} if with_hash else {}
    apply_callback(ledger, sb_client, forged(item.id, **extra), JSON, **keys)
    (evidence,) = ledger.callback_evidence(item.id)
    assert evidence.hash_check == verdict


def test_the_evidence_says_unknown_for_a_status_it_does_not_know_and_no_customer_as_empty(
    ledger: Ledger, sb_client: Client
) -> None:
    _, item = in_doubt_item(ledger)
    apply_callback(ledger, sb_client, forged(item.id, status="refunded"), JSON)
    (evidence,) = ledger.callback_evidence(item.id)
    assert (evidence.status, evidence.customer) == ("unknown", "")
    assert "customer ?" in evidence.describe()

    apply_callback(ledger, sb_client, forged(item.id, customer="22670123456"), JSON)
    said = {e.status: e.customer for e in ledger.callback_evidence(item.id)}
    assert said == {"unknown": "", "completed": "226*****456"}


def test_only_an_in_doubt_item_asks_the_operator_to_resolve_it(
    ledger: Ledger, sb_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    _, doubt = in_doubt_item(ledger)
    batch = load_batch([{"reference": "S2", "phone": PHONE, "amount": 100}])
    ledger.add_batch(batch)
    sending = ledger.claim(batch.id, WorkerIdentity())  # a live worker is sending it
    assert sending is not None
    with caplog.at_level("WARNING", logger="ligdicash.payouts"):
        assert apply_callback(ledger, sb_client, forged(sending.id), JSON) == CallbackOutcome(
            sending.id, "sending", "recorded"
        )
        assert not [r for r in caplog.records if "payouts resolve" in r.getMessage()]
        apply_callback(ledger, sb_client, forged(doubt.id), JSON)
    (warning,) = [r for r in caplog.records if "payouts resolve" in r.getMessage()]
    assert doubt.id in warning.getMessage()
    assert "says completed" in warning.getMessage()


def test_a_callback_whose_item_another_copy_settled_meanwhile_says_already_final(
    tmp_path: Path, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    ledger, other_copy = open_ledger(url), open_ledger(url)
    try:
        batch_id, item = in_doubt_item(ledger)
        with CallbackReceiver() as rx:
            token = send_for(sb_client, item, amount=item.amount, callback_url=rx.callback_url)
            ledger.resolve(item.id, sent_token=token)
            (callback, *_) = rx.wait_for(1, timeout=10)
        # The callback's status call is held 8 s by the sandbox; meanwhile the other copy's
        # status poll (not held) settles the item.
        ligdicash_sandbox.add_fault("latency", count=1, path="confirm", latency_ms=8000)
        outcomes: list[CallbackOutcome] = []
        worker = threading.Thread(
            target=lambda: outcomes.append(
                apply_callback(ledger, sb_client, callback.body.encode(), callback.content_type)
            )
        )
        worker.start()
        wait_until(lambda: not ligdicash_sandbox.faults(), "the held status call")
        with Client(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
            max_retries=0,
        ) as poller:
            assert poll_sent(other_copy, poller, batch_id, interval=0) == 1
        worker.join(30)
        assert outcomes == [CallbackOutcome(item.id, "completed", "already_final")]
    finally:
        ledger.close()
        other_copy.close()


def test_poll_sent_asks_for_200_items_at_most_by_default(ledger: Ledger, sb_client: Client) -> None:
    batch = load_batch(
        [{"reference": f"L{i:03d}", "phone": PHONE, "amount": 100} for i in range(201)]
    )
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead"
    claimed = ledger.claim_many(batch.id, dead, 201)
    assert len(claimed) == 201
    assert ledger.recover(batch.id, WorkerIdentity()) == 201
    for item in claimed:  # tokens LigdiCash does not know: the status calls fail
        ledger.resolve(item.id, sent_token=f"unknown-{item.id}")
    assert poll_sent(ledger, sb_client, batch.id, interval=0) == 0
    # 200 were asked for (and marked polled); one is still due.
    assert len(ledger.due_for_poll(batch.id, 3600)) == 1


def async_client(sb: Any) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, max_retries=0
    )


@pytest.mark.anyio
async def test_aapply_callback_settles_a_sent_item_through_an_awaited_status_call(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    _, item = in_doubt_item(ledger)
    with CallbackReceiver() as rx:
        token = send_for(sb_client, item, amount=item.amount, callback_url=rx.callback_url)
        ledger.resolve(item.id, sent_token=token)
        received = rx.wait_for(1, timeout=10)
    async with async_client(ligdicash_sandbox) as client:
        outcome = await aapply_callback(
            ledger, client, received[0].body.encode(), received[0].content_type
        )
    assert outcome == CallbackOutcome(item.id, "completed", "settled")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("keys", "verdict"),
    [({"api_key": "k"}, "unchecked"), ({"auth_token": "t"}, "unchecked"), (None, "wrong")],
)
async def test_aapply_callback_records_a_form_callback_and_its_hash_verdict(
    ledger: Ledger, ligdicash_sandbox: Any, keys: Any, verdict: str
) -> None:
    _, item = in_doubt_item(ledger)
    body = (
        f"token=cb-token&status=completed&amount=150&hash={'ab' * 32}"
        f"&custom_data%5Btransaction_id%5D={item.id}"
    ).encode()
    if keys is None:
        keys = {"api_key": ligdicash_sandbox.api_key, "auth_token": ligdicash_sandbox.auth_token}
    async with async_client(ligdicash_sandbox) as client:
        outcome = await aapply_callback(ledger, client, body, FORM, **keys)
    assert outcome == CallbackOutcome(item.id, "in_doubt", "recorded")
    (evidence,) = ledger.callback_evidence(item.id)
    assert (evidence.status, evidence.amount, evidence.hash_check) == ("completed", 150, verdict)


@pytest.mark.parametrize("ident", ["ref\x00nul", "\x1b[31mred", "x" * 300])
def test_a_callback_naming_an_impossible_id_is_not_ours_without_a_query_on_postgresql(
    pg_url: str, sb_client: Client, ident: str
) -> None:
    # PostgreSQL refuses a NUL in a query's text: such an id must never reach it (a raw
    # psycopg error out of the endpoint); a long or unprintable one is not an item id.
    ledger = open_ledger(pg_url)
    try:
        outcome = apply_callback(ledger, sb_client, forged(ident), JSON)
    finally:
        ledger.close()
    assert outcome == CallbackOutcome(ident, "", "not_ours")


LATIN1_FORM = "application/x-www-form-urlencoded; charset=iso-8859-1"


def latin1_callback(item_id: str) -> bytes:
    return (
        "token=cb-token&status=completed&amount=150&customer_firstname=Ren\xe9"
        f"&custom_data%5Btransaction_id%5D={item_id}"
    ).encode("iso-8859-1")


def test_a_callback_in_its_declared_charset_is_read(ledger: Ledger, sb_client: Client) -> None:
    _, item = in_doubt_item(ledger)
    outcome = apply_callback(ledger, sb_client, latin1_callback(item.id), LATIN1_FORM)
    assert outcome == CallbackOutcome(item.id, "in_doubt", "recorded")


@pytest.mark.anyio
async def test_aapply_callback_reads_a_callback_in_its_declared_charset(
    ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    _, item = in_doubt_item(ledger)
    async with async_client(ligdicash_sandbox) as client:
        outcome = await aapply_callback(ledger, client, latin1_callback(item.id), LATIN1_FORM)
    assert outcome == CallbackOutcome(item.id, "in_doubt", "recorded")


# The documented wire (the legacy status answer adds custom_data records a forged body
# would have to copy).
@pytest.mark.parametrize("ligdicash_sandbox_server", ["documented"], indirect=True)
def test_a_callback_confirmed_as_still_pending_settles_nothing(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    _, item = in_doubt_item(ledger)
    token = send_for(sb_client, item, amount=item.amount, sandbox_pending_forever=True)
    ledger.resolve(item.id, sent_token=token)
    # The status call agrees with the callback: pending. Confirmed, and nothing to settle.
    body = forged(item.id, status="pending")
    data = json.loads(body)
    data["custom_data"] = ligdicash_sandbox.transaction(token)["custom_data"]  # as sent
    outcome = apply_callback(ledger, sb_client, json.dumps(data).encode(), JSON)
    assert outcome == CallbackOutcome(item.id, "sent", "unconfirmed")
    assert ledger.get(item.id).status == "sent"  # type: ignore[union-attr]


def test_a_status_round_settles_every_final_item_whatever_the_items_before_it_said(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    # Pending and completed payouts interleaved in one round: a pending answer (or a
    # failed status call) in the middle stops nothing.
    batch = load_batch(
        [{"reference": f"M{i}", "phone": PHONE, "amount": 100 + i} for i in range(1, 7)]
    )
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead"
    claimed = sorted(ledger.claim_many(batch.id, dead, 6), key=lambda item: item.id)
    assert ledger.recover(batch.id, WorkerIdentity()) == 6
    completed = set()
    for n, item in enumerate(claimed):
        if n == 4:  # a token LigdiCash does not know: the status call fails
            ledger.resolve(item.id, sent_token=f"unknown-{item.id}")
            continue
        token = send_for(sb_client, item, amount=item.amount, sandbox_pending_forever=True)
        ledger.resolve(item.id, sent_token=token)
        if n % 2:
            ligdicash_sandbox.set_status(token, "completed")
            completed.add(item.id)
    assert poll_sent(ledger, sb_client, batch.id, interval=0) == 3
    statuses = {item.id: item.status for item in ledger.items(batch.id)}
    assert statuses == {
        item.id: "completed" if item.id in completed else "sent" for item in claimed
    }


# The legacy status answer carries the payout's custom_data (the documented one does not:
# there the token alone binds the answer to the item).
@pytest.mark.parametrize("ligdicash_sandbox_server", ["legacy"], indirect=True)
def test_a_token_whose_payout_names_another_item_settles_nothing(
    ledger: Ledger, sb_client: Client
) -> None:
    batch = load_batch([{"reference": ref, "phone": PHONE, "amount": 150} for ref in ("A1", "B1")])
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead"
    first, second = sorted(ledger.claim_many(batch.id, dead, 2), key=lambda item: item.id)
    assert ledger.recover(batch.id, WorkerIdentity()) == 2
    # The operator resolves the first item with the token of the second one's payout.
    other_token = send_for(sb_client, second, amount=150)
    ledger.resolve(first.id, sent_token=other_token)
    assert poll_sent(ledger, sb_client, batch.id, interval=0) == 0
    assert ledger.get(first.id).status == "sent"  # type: ignore[union-attr]


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts the calls given to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.mark.anyio
async def test_apoll_sent_asks_for_200_items_at_most_in_the_executor_given(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch = load_batch(
        [{"reference": f"A{i:03d}", "phone": PHONE, "amount": 100} for i in range(201)]
    )
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead"
    claimed = ledger.claim_many(batch.id, dead, 201)
    assert ledger.recover(batch.id, WorkerIdentity()) == 201
    for item in claimed:
        ledger.resolve(item.id, sent_token=f"unknown-{item.id}")
    executor = CountingExecutor()
    try:
        async with async_client(ligdicash_sandbox) as client:
            settled = await apoll_sent(ledger, client, batch.id, interval=0, executor=executor)
    finally:
        executor.shutdown()
    assert settled == 0
    assert len(ledger.due_for_poll(batch.id, 3600)) == 1
    assert executor.submitted >= 2  # the ledger's calls ran in the executor given


@pytest.mark.anyio
async def test_aapply_callback_runs_the_ledger_in_the_executor_given(
    ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    _, item = in_doubt_item(ledger)
    executor = CountingExecutor()
    try:
        async with async_client(ligdicash_sandbox) as client:
            outcome = await aapply_callback(
                ledger, client, forged(item.id), JSON, executor=executor
            )
    finally:
        executor.shutdown()
    assert outcome == CallbackOutcome(item.id, "in_doubt", "recorded")
    assert executor.submitted >= 2  # get, record_callback
