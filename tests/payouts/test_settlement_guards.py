"""What settles a payout, and what never does: the guards a plausible bug would remove.

Each test here was written against a hand-made bug that the rest of the suite let through
(issue 17, "Tests that would have caught it"): a pending status read as a failure, a
settlement that overwrites an item no longer ``sent``, a callback whose amount differs.
The sandbox's own payout list is the judge of what was paid.
"""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest

from ligdicash import Client
from ligdicash.payouts import (
    CallbackOutcome,
    Ledger,
    LedgerItem,
    LedgerStateError,
    WorkerIdentity,
    apply_callback,
    load_batch,
    poll_sent,
)
from ligdicash.sandbox import CallbackReceiver

PHONE = "22670123456"


def paid_ids(sb: Any) -> collections.Counter[str]:
    """How many payouts the sandbox holds per ledger item id."""
    return collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    )


def in_doubt_item(ledger: Ledger, amount: int = 150) -> tuple[str, LedgerItem]:
    """A one-item batch whose item a dead worker claimed: ``in_doubt``, no token."""
    batch = load_batch([{"reference": "G1", "phone": PHONE, "amount": amount, "type": "client"}])
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead"  # never heartbeated: recover() takes it for dead
    claimed = ledger.claim(batch.id, dead)
    assert claimed is not None
    assert ledger.recover(batch.id, WorkerIdentity()) == 1
    item = ledger.get(claimed.id)
    assert item is not None
    assert (item.status, item.token) == ("in_doubt", "")
    return batch.id, item


def send_for(
    client: Client, item: LedgerItem, *, amount: int, callback_url: str = "", **custom: Any
) -> str:
    """Create on the sandbox the payout that names ``item`` (as the lost send did)."""
    sent = client.Withdrawal(amount=amount, description="payout", customer=item.phone).send(
        type=item.type,
        callback_url=callback_url,
        custom_data={"transaction_id": item.id, **custom},
    )
    return str(sent.token)


def test_a_pending_payout_stays_sent_and_is_never_settled_as_failed(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch_id, item = in_doubt_item(ledger)
    token = send_for(sb_client, item, amount=item.amount, sandbox_pending_forever=True)
    ledger.resolve(item.id, sent_token=token)

    # LigdiCash says "pending": not completed, and not failed either.
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 0
    still = ledger.get(item.id)
    assert still is not None
    assert (still.status, still.error) == ("sent", item.error)  # no failure recorded
    assert ledger.batch_info(batch_id).counts == {"sent": 1}

    ligdicash_sandbox.set_status(token, "completed")
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 1
    assert ledger.get(item.id).status == "completed"  # type: ignore[union-attr]
    assert paid_ids(ligdicash_sandbox)[item.id] == 1


def test_a_cancelled_payout_settles_as_failed(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch_id, item = in_doubt_item(ledger)
    token = send_for(sb_client, item, amount=item.amount, sandbox_pending_forever=True)
    ledger.resolve(item.id, sent_token=token)
    ligdicash_sandbox.set_status(token, "nocompleted")
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 1
    failed = ledger.get(item.id)
    assert failed is not None
    assert (failed.status, failed.error_code) == ("failed", "nocompleted")


@pytest.mark.parametrize("status", ["pending", "sending", "in_doubt", "cancelled", "completed"])
def test_settle_many_moves_only_sent_items(ledger: Ledger, status: str) -> None:
    batch = load_batch([{"reference": "S1", "phone": PHONE, "amount": 100}])
    ledger.add_batch(batch)
    (item,) = ledger.items(batch.id)
    if status == "sending":
        ledger.claim(batch.id, WorkerIdentity())
    elif status == "in_doubt":
        _, doubt = in_doubt_item(ledger)
        item = doubt
    elif status == "cancelled":
        ledger.cancel(item.id)
    elif status == "completed":
        _, doubt = in_doubt_item(ledger)
        ledger.resolve(doubt.id, sent_token="tok-" + doubt.id)
        assert ledger.settle_many([(doubt.id, "completed")]) == 1
        item = doubt
    before = ledger.get(item.id)
    assert before is not None
    assert before.status == status

    assert ledger.settle_many([(item.id, "failed")]) == 0
    after = ledger.get(item.id)
    assert after is not None
    assert (after.status, after.error_code) == (before.status, before.error_code)


def test_a_callback_whose_amount_differs_never_settles_an_in_doubt_item(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch_id, item = in_doubt_item(ledger, amount=150)
    with CallbackReceiver() as rx:
        # A real LigdiCash callback, hash and all, naming the item, for another amount.
        send_for(sb_client, item, amount=999, callback_url=rx.callback_url)
        received = rx.wait_for(1, timeout=10)
    outcomes = [
        apply_callback(
            ledger,
            sb_client,
            cb.body.encode(),
            cb.content_type,
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
        )
        for cb in received
    ]
    assert all(o.action != "settled" for o in outcomes)
    assert ledger.get(item.id).status == "in_doubt"  # type: ignore[union-attr]
    # A run's start settles nothing from what callbacks said either (evidence only).
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 0
    assert ledger.get(item.id).status == "in_doubt"  # type: ignore[union-attr]


def test_a_callback_whose_amount_differs_never_settles_a_sent_item(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch_id, item = in_doubt_item(ledger, amount=150)
    with CallbackReceiver() as rx:
        token = send_for(sb_client, item, amount=999, callback_url=rx.callback_url)
        ledger.resolve(item.id, sent_token=token)
        received = rx.wait_for(1, timeout=10)
    outcomes = [
        apply_callback(
            ledger,
            sb_client,
            cb.body.encode(),
            cb.content_type,
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
        )
        for cb in received
    ]
    assert outcomes == [CallbackOutcome(item.id, "sent", "mismatch")] * len(outcomes)
    if ligdicash_sandbox.config.wire == "legacy":
        # The legacy status answer carries the amount: the status call refuses it too.
        assert poll_sent(ledger, sb_client, batch_id, interval=0) == 0
        assert ledger.get(item.id).status == "sent"  # type: ignore[union-attr]
    else:
        # The documented withdrawal/confirm answer has no amount: the status alone settles
        # the payout the token names (only a token from our own creation gets there
        # unless an operator resolves with a wrong one).
        assert poll_sent(ledger, sb_client, batch_id, interval=0) == 1
        assert ledger.get(item.id).status == "completed"  # type: ignore[union-attr]


# -- survivors of the mutation run (scripts/mutation.sh) ------------------------------------


def test_a_settlement_records_its_error_fields_and_refuses_a_non_final_status(
    ledger: Ledger,
) -> None:
    _, ok = in_doubt_item(ledger)
    ledger.resolve(ok.id, sent_token="tok-ok")
    assert ledger.settle(ok.id, "completed") is True
    done = ledger.get(ok.id)
    assert done is not None
    assert (done.status, done.error_code, done.error) == ("completed", "", "")

    batch = load_batch([{"reference": "F1", "phone": PHONE, "amount": 120}])
    ledger.add_batch(batch)
    dead = WorkerIdentity()
    dead.id += "-dead2"
    claimed = ledger.claim(batch.id, dead)
    assert claimed is not None
    ledger.recover(batch.id, WorkerIdentity())
    ledger.resolve(claimed.id, sent_token="tok-ko")
    assert ledger.settle(claimed.id, "failed") is True
    failed = ledger.get(claimed.id)
    assert failed is not None
    assert (failed.status, failed.error_code) == ("failed", "nocompleted")
    assert failed.error == "LigdiCash reports the payout failed"

    with pytest.raises(LedgerStateError, match="'sent' is not a settlement"):
        ledger.settle(claimed.id, "sent")


def test_a_cancelled_item_says_so_and_a_second_cancel_says_why_not(ledger: Ledger) -> None:
    batch = load_batch([{"reference": "C1", "phone": PHONE, "amount": 100}])
    ledger.add_batch(batch)
    (item,) = ledger.items(batch.id)
    ledger.cancel(item.id)
    cancelled = ledger.get(item.id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.resolution) == ("cancelled", "cancelled")
    with pytest.raises(LedgerStateError, match=f"item '{item.id}' is not pending"):
        ledger.cancel(item.id)


def test_what_a_callback_did_names_the_item_and_its_status(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    def body(transaction_id: str, token: str = "cb-token") -> bytes:
        return json.dumps(
            {
                "token": token,
                "status": "completed",
                "amount": 150,
                "custom_data": {"transaction_id": transaction_id},
            }
        ).encode()

    ct = "application/json"
    assert apply_callback(ledger, sb_client, body("NOPE-1"), ct) == CallbackOutcome(
        "NOPE-1", "", "not_ours"
    )
    assert apply_callback(ledger, sb_client, body(""), ct) == CallbackOutcome("", "", "not_ours")

    batch_id, item = in_doubt_item(ledger)
    token = send_for(sb_client, item, amount=item.amount, sandbox_pending_forever=True)
    ledger.resolve(item.id, sent_token=token)
    # The status call fails: nothing is settled, and the outcome says the item is still sent.
    ligdicash_sandbox.add_fault("http_500", count=1, path="confirm")
    assert apply_callback(ledger, sb_client, body(item.id), ct) == CallbackOutcome(
        item.id, "sent", "unconfirmed"
    )
    # LigdiCash's status call says pending: confirmed as nothing final, the item stays sent.
    assert apply_callback(ledger, sb_client, body(item.id, token), ct) == CallbackOutcome(
        item.id, "sent", "unconfirmed"
    )
    ligdicash_sandbox.set_status(token, "completed")
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 1
    assert apply_callback(ledger, sb_client, body(item.id), ct) == CallbackOutcome(
        item.id, "completed", "already_final"
    )


def test_the_callback_of_a_sent_payout_settles_it_once_its_status_is_confirmed(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch_id, item = in_doubt_item(ledger, amount=150)
    with CallbackReceiver() as rx:
        token = send_for(sb_client, item, amount=150, callback_url=rx.callback_url)
        ledger.resolve(item.id, sent_token=token)
        received = rx.wait_for(1, timeout=10)
    outcomes = [
        apply_callback(ledger, sb_client, cb.body.encode(), cb.content_type) for cb in received
    ]
    assert outcomes[0] == CallbackOutcome(item.id, "completed", "settled")
    assert outcomes[1:] == [CallbackOutcome(item.id, "completed", "already_final")] * (
        len(outcomes) - 1
    )
    done = ledger.get(item.id)
    assert done is not None
    assert (done.status, done.error_code, done.error) == ("completed", "", "")
    assert done.resolution == "operator: sent"  # the callback adds no resolution of its own
    assert poll_sent(ledger, sb_client, batch_id, interval=0) == 0
    assert paid_ids(ligdicash_sandbox)[item.id] == 1
