"""Running batches against the real sandbox: the sandbox's own payout list is the judge."""

from __future__ import annotations

import collections
import threading
from typing import Any

import pytest

from ligdicash import Client
from ligdicash.payouts import BatchRunner, Ledger, apply_callback, load_batch


def rows(n: int, phone: str = "22670123456", kind: str = "merchant") -> list[dict[str, Any]]:
    return [
        {"reference": f"R{i:04d}", "phone": phone, "amount": 100 + i, "type": kind}
        for i in range(n)
    ]


def paid_ids(sb: Any) -> collections.Counter[str]:
    """How many payouts the sandbox holds per ledger item id."""
    return collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    )


def run(ledger: Ledger, client: Client, batch_id: str, **kw: Any) -> Any:
    kw.setdefault("workers", 4)
    kw.setdefault("settle_timeout", 10.0)
    return BatchRunner(ledger, client, batch_id, **kw).run()


def test_a_batch_is_paid_once_each_and_settled(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch = load_batch(
        [
            *rows(20),
            {"reference": "FAILS", "phone": "22670000500", "amount": 300},
            {"reference": "NOACCOUNT", "phone": "22670000404", "amount": 300, "type": "client"},
        ]
    )
    ledger.add_batch(batch)
    result = run(ledger, sb_client, batch.id)
    assert result.stopped == ""
    assert result.info.counts == {"completed": 20, "failed": 2}
    by_ref = {i.reference: i for i in ledger.items(batch.id)}
    assert by_ref["FAILS"].error_code == "nocompleted"
    assert "CustomerDoesNotExist" in by_ref["NOACCOUNT"].error
    paid = paid_ids(ligdicash_sandbox)
    assert sorted(paid.values()) == [1] * 21  # NOACCOUNT was refused: nothing created
    # A re-run of the same batch sends nothing.
    again = run(ledger, sb_client, batch.id)
    assert again.info.counts == {"completed": 20, "failed": 2}
    assert paid_ids(ligdicash_sandbox) == paid


def test_a_balance_refusal_pauses_the_batch_and_a_rerun_resumes(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    ligdicash_sandbox.set_balance(1000)
    batch = load_batch(rows(30))
    ledger.add_batch(batch)
    result = run(ledger, sb_client, batch.id, workers=1)
    assert result.stopped == "paused"
    assert "MerchantBalanceLow" in result.info.paused_reason
    assert result.info.count("completed") == 9  # 100+101+...+108 fits in 1000
    assert result.info.count("pending") == 21
    assert result.info.count("failed", "in_doubt") == 0
    ligdicash_sandbox.set_balance(10_000_000)
    resumed = run(ledger, sb_client, batch.id)
    assert resumed.info.counts == {"completed": 30}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 30


def test_a_dropped_request_is_in_doubt_never_resent_until_an_operator_says_so(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    ligdicash_sandbox.add_fault("drop", count=1, path="withdrawal/create")
    batch = load_batch(rows(5, kind="client"))
    ledger.add_batch(batch)
    result = run(ledger, sb_client, batch.id, workers=1)
    assert result.info.counts == {"completed": 4, "in_doubt": 1}
    (doubt,) = ledger.items(batch.id, statuses=["in_doubt"])
    run(ledger, sb_client, batch.id)
    assert ledger.get(doubt.id).status == "in_doubt"  # type: ignore[union-attr]
    assert doubt.id not in paid_ids(ligdicash_sandbox)  # drop: nothing was created
    ledger.resolve(doubt.id, not_sent=True)
    final = run(ledger, sb_client, batch.id)
    assert final.info.counts == {"completed": 5}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 5


def test_a_lost_answer_is_evidence_until_an_operator_gives_the_token(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    from ligdicash.sandbox import CallbackReceiver

    ligdicash_sandbox.add_fault("truncated_json", count=1, path="withdrawal/create")
    batch = load_batch(rows(3, kind="client"))
    ledger.add_batch(batch)
    with CallbackReceiver() as rx:
        result = run(ledger, sb_client, batch.id, workers=1, callback_url=rx.callback_url)
        assert result.info.counts == {"completed": 2, "in_doubt": 1}
        (doubt,) = ledger.items(batch.id, statuses=["in_doubt"])
        assert paid_ids(ligdicash_sandbox)[doubt.id] == 1  # it was created
        entries = [
            e for e in ligdicash_sandbox.wait_for_callbacks(6, timeout=10) if doubt.id in e["body"]
        ]
    assert entries
    # Even its own genuine callback, hash verified, is evidence, not a settlement: the
    # hash does not cover the body, so a replayed one could say anything.
    outcomes = [
        apply_callback(
            ledger,
            sb_client,
            e["body"].encode(),
            e["content_type"],
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
        )
        for e in entries
    ]
    assert {(o.action, o.status) for o in outcomes} == {("recorded", "in_doubt")}
    item = ledger.get(doubt.id)
    assert item is not None
    assert item.status == "in_doubt"
    assert "says completed" in item.evidence
    # The legacy payout callback carries a hash; the documented one none.
    assert ("hash verified" in item.evidence) or (
        "hash absent" in item.evidence and '"hash"' not in entries[0]["body"]
    )
    # The operator finds the payout's token on the dashboard; the status call settles it.
    (server_side,) = [
        tx
        for tx in ligdicash_sandbox.transactions()
        if (tx.get("custom_data") or {}).get("transaction_id") == doubt.id
    ]
    ledger.resolve(doubt.id, sent_token=server_side["token"])
    final = run(ledger, sb_client, batch.id)
    assert final.info.counts == {"completed": 3}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 3


def test_a_wrong_not_sent_resolution_meets_the_duplicate_refusal_and_stays_in_doubt(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    ligdicash_sandbox.add_fault("truncated_json", count=1, path="withdrawal/create")
    batch = load_batch(rows(1, kind="client"))
    ledger.add_batch(batch)
    run(ledger, sb_client, batch.id)
    (doubt,) = ledger.items(batch.id, statuses=["in_doubt"])
    ledger.resolve(doubt.id, not_sent=True)  # the operator is wrong: it was created
    again = run(ledger, sb_client, batch.id)
    assert again.info.counts == {"in_doubt": 1}
    assert ledger.get(doubt.id).error_code == "07"  # type: ignore[union-attr]
    assert paid_ids(ligdicash_sandbox)[doubt.id] == 1


def test_stop_finishes_the_requests_in_flight_and_a_rerun_completes(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    ligdicash_sandbox.add_fault("latency", count=1000, path="payout", latency_ms=50)
    batch = load_batch(rows(200))
    ledger.add_batch(batch)
    runner: BatchRunner

    def stop_after_some(progress: Any) -> None:
        if progress.info.count("sent", "completed") >= 10:
            runner.stop()

    runner = BatchRunner(ledger, sb_client, batch.id, workers=4, on_progress=stop_after_some)
    result = runner.run()
    assert result.stopped == "interrupted"
    assert result.info.count("sending", "in_doubt") == 0
    assert 10 <= result.info.count("sent", "completed") < 200
    ligdicash_sandbox.clear_faults()
    final = run(ledger, sb_client, batch.id, workers=8)
    assert final.info.counts == {"completed": 200}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 200


def test_two_runners_on_one_sqlite_ledger_never_pay_twice(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch = load_batch(rows(120))
    ledger.add_batch(batch)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(run(ledger, sb_client, batch.id)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ledger.batch_info(batch.id).counts == {"completed": 120}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 120


@pytest.mark.parametrize("workers", [0, -1])
def test_workers_must_be_positive(ledger: Ledger, sb_client: Client, workers: int) -> None:
    from ligdicash import InvalidRequestError

    with pytest.raises(InvalidRequestError):
        BatchRunner(ledger, sb_client, "b0", workers=workers)


def test_a_callback_that_beats_the_answer_is_evidence_and_settles_nothing(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    from ligdicash.payouts import WorkerIdentity
    from ligdicash.sandbox import CallbackReceiver

    batch = load_batch(rows(1, kind="client"))
    ledger.add_batch(batch)
    item = ledger.claim(batch.id, WorkerIdentity())  # a worker that will die mid-send
    assert item is not None
    with CallbackReceiver() as rx:
        sb_client.Withdrawal(description="", amount=item.amount, customer=item.phone).send(
            type="client", callback_url=rx.callback_url, custom_data={"transaction_id": item.id}
        )
        entries = ligdicash_sandbox.wait_for_callbacks(2, timeout=10)
    creds = {"api_key": ligdicash_sandbox.api_key, "auth_token": ligdicash_sandbox.auth_token}
    outcome = apply_callback(
        ledger, sb_client, entries[0]["body"].encode(), entries[0]["content_type"], **creds
    )
    assert outcome.action == "recorded"
    assert ledger.get(item.id).status == "sending"  # type: ignore[union-attr]
    ledger.move(item.id, "in_doubt", expect=["sending"], error_code="worker_died")
    result = run(ledger, sb_client, batch.id)
    assert result.info.counts == {"in_doubt": 1}  # for an operator, with what the callback said
    assert "says completed" in ledger.get(item.id).evidence  # type: ignore[union-attr]
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1]


def test_a_payout_callback_finds_its_item_by_the_root_transaction_id(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    # The documented payout callback names the item only by its root transaction_id
    # (custom_data is []); the legacy one by custom_data. Both must find it.
    from ligdicash.sandbox import CallbackReceiver

    batch = load_batch(rows(2, kind="client"))
    ledger.add_batch(batch)
    with CallbackReceiver() as rx:
        result = run(ledger, sb_client, batch.id, workers=1, callback_url=rx.callback_url)
        assert result.info.counts == {"completed": 2}
        calls = rx.wait_for(4)
    ids = {item.id for item in ledger.items(batch.id)}
    outcomes = [apply_callback(ledger, sb_client, c.body.encode(), c.content_type) for c in calls]
    assert {o.item_id for o in outcomes} == ids
    assert {o.action for o in outcomes} == {"already_final"}
