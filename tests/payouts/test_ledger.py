"""The ledger's state machine on SQLite: claims, moves, recovery, resolution, overlap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ligdicash import InvalidRequestError
from ligdicash.payouts import Ledger, LedgerStateError, WorkerIdentity, load_batch, open_ledger


def rows(n: int, prefix: str = "R") -> list[dict[str, object]]:
    return [
        {"reference": f"{prefix}{i}", "phone": "22670123456", "amount": 100 + i} for i in range(n)
    ]


def test_adding_the_same_batch_twice_keeps_one_copy(ledger: Ledger) -> None:
    batch = load_batch(rows(3))
    assert ledger.add_batch(batch) is True
    assert ledger.add_batch(load_batch(rows(3))) is False
    assert ledger.batch_info(batch.id).counts == {"pending": 3}


def test_a_reference_of_another_batch_is_refused_unless_allowed(ledger: Ledger) -> None:
    ledger.add_batch(load_batch(rows(3)))
    edited = load_batch([*rows(2), {"reference": "R2", "phone": "22670123456", "amount": 999}])
    with pytest.raises(InvalidRequestError, match="R0"):
        ledger.add_batch(edited)
    assert ledger.add_batch(edited, allow_overlap=True) is True


def test_claim_commits_sending_before_returning(ledger: Ledger, tmp_path: Path) -> None:
    batch = load_batch(rows(2))
    ledger.add_batch(batch)
    item = ledger.claim(batch.id, WorkerIdentity())
    assert item is not None
    assert item.status == "sending"
    assert item.attempts == 1
    # Another connection (another process) sees it already.
    other = open_ledger(ledger.url)
    try:
        seen = other.get(item.id)
        assert seen is not None
        assert seen.status == "sending"
    finally:
        other.close()


def test_claims_follow_file_order_and_end_with_none(ledger: Ledger) -> None:
    batch = load_batch(rows(3))
    ledger.add_batch(batch)
    me = WorkerIdentity()
    claimed = [ledger.claim(batch.id, me) for _ in range(4)]
    assert [c.reference if c else None for c in claimed] == ["R0", "R1", "R2", None]


def test_a_paused_batch_gives_no_item(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    ledger.set_paused(batch.id, "balance too low")
    assert ledger.claim(batch.id, WorkerIdentity()) is None
    ledger.set_paused(batch.id, "")
    assert ledger.claim(batch.id, WorkerIdentity()) is not None


def test_an_in_doubt_item_is_never_claimed_again(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    item = ledger.claim(batch.id, WorkerIdentity())
    assert item is not None
    assert ledger.move(item.id, "in_doubt", expect=["sending"], error="lost")
    assert ledger.claim(batch.id, WorkerIdentity()) is None


def test_moves_outside_the_state_machine_are_refused(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    item = ledger.items(batch.id)[0]
    with pytest.raises(LedgerStateError):
        ledger.move(item.id, "sending", expect=["in_doubt"])
    with pytest.raises(LedgerStateError):
        ledger.move(item.id, "pending", expect=["completed"])


def test_a_move_from_the_wrong_state_changes_nothing(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    item = ledger.items(batch.id)[0]
    assert ledger.move(item.id, "sent", expect=["sending"], token="T") is False
    assert ledger.items(batch.id)[0].status == "pending"


def test_the_sending_items_of_a_dead_process_become_in_doubt(ledger: Ledger) -> None:
    batch = load_batch(rows(2))
    ledger.add_batch(batch)
    # A real process claims one item and dies without recording an answer.
    code = (
        "import sys; from ligdicash.payouts import open_ledger, WorkerIdentity;"
        "lg = open_ledger(sys.argv[1]); me = WorkerIdentity(); lg.heartbeat(me, sys.argv[2]);"
        "print(lg.claim(sys.argv[2], me).id)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, ledger.url, batch.id],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    dead_item = out.stdout.strip()
    me = WorkerIdentity()
    mine = ledger.claim(batch.id, me)
    assert mine is not None
    assert ledger.recover(batch.id, me) == 1
    statuses = {i.id: i.status for i in ledger.items(batch.id)}
    assert statuses == {dead_item: "in_doubt", mine.id: "sending"}


def test_a_live_worker_keeps_its_sending_items(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    other = WorkerIdentity()  # same process: alive
    other.id += "-other"
    ledger.heartbeat(other, batch.id)
    assert ledger.claim(batch.id, other) is not None
    assert ledger.recover(batch.id, WorkerIdentity()) == 0


def test_resolve_sent_records_the_token_and_not_sent_reopens(ledger: Ledger) -> None:
    batch = load_batch(rows(2))
    ledger.add_batch(batch)
    me = WorkerIdentity()
    first, second = ledger.claim(batch.id, me), ledger.claim(batch.id, me)
    assert first is not None
    assert second is not None
    for item in (first, second):
        ledger.move(item.id, "in_doubt", expect=["sending"])
    ledger.resolve(first.id, sent_token="TOKEN-1")
    ledger.resolve(second.id, not_sent=True)
    after = {i.id: (i.status, i.token, i.resolution) for i in ledger.items(batch.id)}
    assert after[first.id] == ("sent", "TOKEN-1", "operator: sent")
    assert after[second.id] == ("pending", "", "operator: not sent")


def test_resolve_refuses_an_item_that_is_not_in_doubt(ledger: Ledger) -> None:
    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    item = ledger.items(batch.id)[0]
    with pytest.raises(LedgerStateError, match="pending"):
        ledger.resolve(item.id, not_sent=True)
    with pytest.raises(InvalidRequestError):
        ledger.resolve(item.id, sent_token="T", not_sent=True)


def test_cancel_only_pending_items(ledger: Ledger) -> None:
    batch = load_batch(rows(2))
    ledger.add_batch(batch)
    first = ledger.claim(batch.id, WorkerIdentity())
    assert first is not None
    with pytest.raises(LedgerStateError):
        ledger.cancel(first.id)
    second = ledger.items(batch.id)[1]
    ledger.cancel(second.id)
    assert ledger.get(second.id).status == "cancelled"  # type: ignore[union-attr]


def test_unknown_batches_and_urls_are_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidRequestError, match="no batch"):
        ledger.batch_info("b0000")
    with pytest.raises(InvalidRequestError, match="scheme"):
        open_ledger("mysql://x")
