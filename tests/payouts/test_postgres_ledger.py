"""The ledger on the real PostgreSQL server: same state machine, and workers that share it."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ligdicash import Client, StoreUnavailableError
from ligdicash.payouts import (
    BatchRunner,
    Ledger,
    LedgerStateError,
    WorkerIdentity,
    load_batch,
    open_ledger,
)
from ligdicash.payouts._ledger_base import SCHEMA_VERSION


@pytest.fixture
def pg(pg_url: str) -> Iterator[Ledger]:
    ledger = open_ledger(pg_url)
    with ledger._transaction() as cur:  # a clean slate per test
        cur.execute("TRUNCATE payout_items, payout_batches, payout_workers")
    yield ledger
    ledger.close()


def rows(n: int) -> list[dict[str, Any]]:
    return [{"reference": f"G{i:04d}", "phone": "22670123456", "amount": 100} for i in range(n)]


def test_the_schema_is_created_once_with_its_version(pg: Ledger, pg_url: str) -> None:
    again = open_ledger(pg_url)  # idempotent
    with again._transaction() as cur:
        cur.execute("SELECT version FROM ligdicash_schema WHERE component = 'payouts'")
        assert cur.fetchone() == (SCHEMA_VERSION,) == (2,)
    again.close()


def test_concurrent_claims_skip_locked_rows_and_never_share_an_item(pg: Ledger) -> None:
    batch = load_batch(rows(200))
    pg.add_batch(batch)
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        me = WorkerIdentity()
        while (item := pg.claim(batch.id, me)) is not None:
            with lock:
                claimed.append(item.id)

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 200
    assert pg.batch_info(batch.id).counts == {"sending": 200}


def test_the_state_machine_holds_on_postgres(pg: Ledger) -> None:
    batch = load_batch(rows(1))
    pg.add_batch(batch)
    item = pg.claim(batch.id, WorkerIdentity())
    assert item is not None
    pg.move(item.id, "in_doubt", expect=["sending"], error="lost")
    assert pg.claim(batch.id, WorkerIdentity()) is None
    with pytest.raises(LedgerStateError):
        pg.move(item.id, "sending", expect=["in_doubt"])
    pg.resolve(item.id, sent_token="TOKEN")
    assert pg.get(item.id).status == "sent"  # type: ignore[union-attr]


def test_two_runners_on_postgres_pay_each_item_once(
    pg: Ledger, pg_url: str, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    batch = load_batch(rows(150))
    pg.add_batch(batch)
    other = open_ledger(pg_url)
    runners = [
        BatchRunner(pg, sb_client, batch.id, workers=4, settle_timeout=15),
        BatchRunner(other, sb_client, batch.id, workers=4, settle_timeout=15, unpause=False),
    ]
    threads = [threading.Thread(target=r.run) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert pg.batch_info(batch.id).counts == {"completed": 150}
    paid = collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in ligdicash_sandbox.transactions()
    )
    assert sorted(paid.values()) == [1] * 150


def test_the_password_never_shows_in_the_ledger_url(pg_url: str) -> None:
    with pytest.raises(StoreUnavailableError) as exc:
        open_ledger("postgresql://u:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(exc.value)
    assert "postgresql://u:***@127.0.0.1:1/db" in str(exc.value)
    assert exc.value.__cause__ is None  # a driver's message may quote the URL


def test_payouts_work_processes_join_a_run_on_postgres(
    pg: Ledger, pg_url: str, ligdicash_sandbox: Any, tmp_path: Any
) -> None:
    import time

    from cli_helpers import popen, sandbox_env

    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "big.csv"
    path.write_text(
        "reference,phone,amount\n" + "".join(f"W{i:04d},22670123456,100\n" for i in range(400)),
        encoding="utf-8",
    )
    ligdicash_sandbox.add_fault("latency", count=100_000, path="payout", latency_ms=60)
    # The first process is held to 10 sends a second (40 s for the batch), so the two that
    # join after it (a few seconds to start on a loaded machine) find work left: the in-flight
    # engine alone would drain 400 payouts before a new process is up.
    procs = [
        popen(
            "payouts",
            "run",
            str(path),
            "--store",
            pg_url,
            "--yes",
            "--rate",
            "10",
            "--allow-repeat-recipient",
            env=env,
        )
    ]
    batch_id = load_batch(str(path)).id
    deadline = time.monotonic() + 60
    while batch_id not in pg.batch_ids():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    procs += [popen("payouts", "work", batch_id, "--store", pg_url, env=env) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    items = pg.items(batch_id)
    assert {i.status for i in items} == {"completed"}
    pids = {i.worker.split(":")[1] for i in items}
    assert len(pids) == 3  # every process did part of the work
    paid = collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in ligdicash_sandbox.transactions()
    )
    assert sorted(paid.values()) == [1] * 400
