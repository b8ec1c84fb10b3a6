"""A callback never settles a payout without a token: one genuine callback of the account,
rewritten, must neither fail a paid payout (inviting a second payment) nor complete an
unpaid one. The sandbox's own payout list is the judge; the callback is evidence only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cli_helpers import cli, sandbox_env
from test_runner import paid_ids, run

from ligdicash import Client
from ligdicash.payouts import Ledger, apply_callback, load_batch, render_report


def _in_doubt_item(ledger: Ledger, client: Client, sb: Any, fault: str, reference: str) -> Any:
    """One payout left in_doubt by ``fault`` on its creation (``truncated_json``: LigdiCash
    created it and the answer was lost; ``drop``: the request never arrived)."""
    sb.add_fault(fault, count=1, path="withdrawal/create")
    batch = load_batch(
        [{"reference": reference, "phone": "22670123456", "amount": 700, "type": "client"}]
    )
    ledger.add_batch(batch, allow_overlap=True)
    result = run(ledger, client, batch.id, workers=1)
    assert result.info.counts == {"in_doubt": 1}
    (item,) = ledger.items(batch.id)
    return item


def _genuine_callback(ledger: Ledger, client: Client, sb: Any) -> dict[str, Any]:
    """The JSON callback LigdiCash posted for an ordinary payout of the account."""
    from ligdicash.sandbox import CallbackReceiver

    # A reference of its own: the same rows in another test's fresh ledger would be the same
    # batch and item ids, a payout the session's sandbox already settled and called back.
    reference = f"GENUINE-{uuid.uuid4().hex[:8]}"
    batch = load_batch(
        [{"reference": reference, "phone": "22670123456", "amount": 100, "type": "client"}]
    )
    ledger.add_batch(batch, allow_overlap=True)
    with CallbackReceiver() as rx:
        result = run(ledger, client, batch.id, workers=1, callback_url=rx.callback_url)
        assert result.info.counts == {"completed": 1}
        # What this receiver got is this payout's pair (the callback's own token differs
        # from the creation token on the documented wire, so the sandbox's log cannot be
        # searched by it).
        calls = rx.wait_for(2)
    (entry,) = [c for c in calls if c.content_type.startswith("application/json")]
    body: dict[str, Any] = json.loads(entry.body)
    return body


def _rewritten(genuine: dict[str, Any], item: Any, status: str) -> bytes:
    """The genuine body with another item's id, amount and a chosen status; its hash
    (which binds only the callback's token) still verifies."""
    forged = dict(genuine)
    forged["status"] = status
    forged["amount"] = item.amount
    forged["montant"] = f"{item.amount}.00"
    forged["customer"] = item.phone
    forged["custom_data"] = [
        {"keyof_customdata": "transaction_id", "valueof_customdata": item.id},
    ]
    return json.dumps(forged).encode()


# The attack needs a genuine hash that still verifies after the rewrite: the legacy payout
# callback carries one (sha256 of key + its token + auth token); the documented one carries
# none, so its rewrite is the plain forgery of the next tests.
@pytest.mark.parametrize("ligdicash_sandbox_server", ["legacy"], indirect=True)
def test_a_rewritten_genuine_callback_settles_no_in_doubt_payout_either_way(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    paid = _in_doubt_item(ledger, sb_client, ligdicash_sandbox, "truncated_json", "PAID")
    unpaid = _in_doubt_item(ledger, sb_client, ligdicash_sandbox, "drop", "UNPAID")
    judge = paid_ids(ligdicash_sandbox)
    assert (judge[paid.id], judge[unpaid.id]) == (1, 0)
    genuine = _genuine_callback(ledger, sb_client, ligdicash_sandbox)
    keys = {"api_key": ligdicash_sandbox.api_key, "auth_token": ligdicash_sandbox.auth_token}

    says_failed = apply_callback(
        ledger, sb_client, _rewritten(genuine, paid, "nocompleted"), "application/json", **keys
    )
    says_paid = apply_callback(
        ledger, sb_client, _rewritten(genuine, unpaid, "completed"), "application/json", **keys
    )

    assert (says_failed.action, says_failed.status) == ("recorded", "in_doubt")
    assert (says_paid.action, says_paid.status) == ("recorded", "in_doubt")
    after_paid, after_unpaid = ledger.get(paid.id), ledger.get(unpaid.id)
    assert after_paid is not None
    assert after_unpaid is not None
    assert (after_paid.status, after_unpaid.status) == ("in_doubt", "in_doubt")
    judge = paid_ids(ligdicash_sandbox)
    assert (judge[paid.id], judge[unpaid.id]) == (1, 0)  # nothing was paid or re-paid
    # What the callbacks said is shown to the operator, marked as not proof.
    assert "says cancelled, amount 700" in after_paid.evidence
    assert "hash verified" in after_paid.evidence
    assert "not proof" in after_paid.evidence
    assert "says completed, amount 700" in after_unpaid.evidence
    (evidence,) = ledger.callback_evidence(unpaid.id)
    assert (evidence.status, evidence.amount, evidence.hash_check) == ("completed", 700, "verified")
    assert evidence.customer == "226*****456"  # masked
    report = render_report(ledger, unpaid.batch_id, "json")
    assert "says completed" in json.loads(report)[0]["evidence"]


def test_callbacks_that_disagree_are_all_shown_and_a_wrong_hash_says_so(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    paid = _in_doubt_item(ledger, sb_client, ligdicash_sandbox, "truncated_json", "TWO")
    genuine = _genuine_callback(ledger, sb_client, ligdicash_sandbox)
    keys = {"api_key": ligdicash_sandbox.api_key, "auth_token": ligdicash_sandbox.auth_token}
    for status in ("completed", "completed", "nocompleted"):
        apply_callback(
            ledger, sb_client, _rewritten(genuine, paid, status), "application/json", **keys
        )
    bad_hash = json.loads(_rewritten(genuine, paid, "pending"))
    bad_hash["hash"] = "0" * 64
    apply_callback(ledger, sb_client, json.dumps(bad_hash).encode(), "application/json", **keys)

    item = ledger.get(paid.id)
    assert item is not None
    assert item.status == "in_doubt"
    assert item.evidence.startswith("callbacks DISAGREE")
    found = {e.status: e for e in ledger.callback_evidence(paid.id)}
    assert set(found) == {"completed", "cancelled", "pending"}
    assert found["completed"].received == 2
    assert found["pending"].hash_check == "wrong"


def test_an_in_doubt_payout_is_settled_by_a_status_call_once_the_operator_gives_its_token(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    paid = _in_doubt_item(ledger, sb_client, ligdicash_sandbox, "truncated_json", "OPER")
    genuine = _genuine_callback(ledger, sb_client, ligdicash_sandbox)
    apply_callback(
        ledger,
        sb_client,
        _rewritten(genuine, paid, "nocompleted"),
        "application/json",
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
    )
    (server_side,) = [
        tx
        for tx in ligdicash_sandbox.transactions()
        if (tx.get("custom_data") or {}).get("transaction_id") == paid.id
    ]
    ledger.resolve(paid.id, sent_token=server_side["token"])
    result = run(ledger, sb_client, paid.batch_id, workers=1)
    assert result.info.counts == {"completed": 1}  # the status call's word, not the callback's
    assert paid_ids(ligdicash_sandbox)[paid.id] == 1


def test_payouts_status_lists_each_in_doubt_payout_with_its_evidence(
    tmp_path: Any, ligdicash_sandbox: Any
) -> None:
    from ligdicash.payouts import open_ledger

    store = f"sqlite:///{tmp_path / 'cli.db'}"
    ledger = open_ledger(store)
    try:
        with Client(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
            max_retries=0,
        ) as client:
            paid = _in_doubt_item(ledger, client, ligdicash_sandbox, "truncated_json", "CLI1")
            quiet = _in_doubt_item(ledger, client, ligdicash_sandbox, "drop", "CLI2")
            genuine = _genuine_callback(ledger, client, ligdicash_sandbox)
            apply_callback(
                ledger, client, _rewritten(genuine, paid, "completed"), "application/json"
            )
    finally:
        ledger.close()
    env = sandbox_env(ligdicash_sandbox)
    shown = cli("payouts", "status", paid.batch_id, "--store", store, "--lang", "en", env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"{paid.id} (700 XOF): callback received" in shown.stdout
    assert "says completed" in shown.stdout
    assert "hash unchecked" in shown.stdout
    as_json = cli("payouts", "status", quiet.batch_id, "--store", store, "--json", env=env)
    listed = json.loads(as_json.stdout)["in_doubt"]
    assert listed == [{"item_id": quiet.id, "amount": 700, "error": quiet.error, "evidence": ""}]
    french = cli("payouts", "status", quiet.batch_id, "--store", store, "--lang", "fr", env=env)
    assert f"{quiet.id} (700 XOF) : aucun callback reçu" in french.stdout


def test_a_forged_amount_beyond_any_column_is_evidence_without_an_amount_on_postgresql(
    own_pg_url: str, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    from ligdicash.payouts import open_ledger

    # A database of its own: the session's one would hold this item from the other wire's run.
    ledger = open_ledger(own_pg_url)
    try:
        paid = _in_doubt_item(ledger, sb_client, ligdicash_sandbox, "truncated_json", "HUGE")
        genuine = _genuine_callback(ledger, sb_client, ligdicash_sandbox)
        forged = json.loads(_rewritten(genuine, paid, "completed"))
        forged["amount"] = forged["montant"] = 10**30
        outcome = apply_callback(ledger, sb_client, json.dumps(forged).encode(), "application/json")
        assert (outcome.action, outcome.status) == ("recorded", "in_doubt")
        (evidence,) = ledger.callback_evidence(paid.id)
        assert (evidence.status, evidence.amount) == ("completed", None)
    finally:
        ledger.close()
