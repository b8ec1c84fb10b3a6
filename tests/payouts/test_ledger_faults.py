"""The ledger on the stores' connection layer: its database going away gives a clear
``StoreUnavailableError`` (never a raw driver error, never a password), a run stops without
marking anything wrongly, nothing is lost, and the batch resumes once the database is back.

PostgreSQL goes away for real: the test database stops taking connections
(``ALLOW_CONNECTIONS false``) and the ledger's backends are terminated
(``pg_terminate_backend``); the shared server itself keeps running for the other tests.
"""

from __future__ import annotations

import collections
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from cli_helpers import cli, popen, sandbox_env

from ligdicash import LigdicashError, StoreUnavailableError
from ligdicash.payouts import Ledger, WorkerIdentity, load_batch, open_ledger
from ligdicash.payouts._sqlite import SQLiteLedger

ADMIN_URL = os.environ.get("LIGDICASH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "n0t-a-Real-pa55"


def wait_until(condition: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    """Poll ``condition`` until true; fail after ``deadline`` seconds (no fixed sleeps)."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def own_db(own_pg_url: str) -> str:
    """A database of this test's own (it is switched off and on). Its URL carries a
    password: trust authentication ignores it, messages must hide it."""
    return own_pg_url.replace("postgres@", f"postgres:{SECRET}@", 1)


def switch(url: str, *, on: bool) -> None:
    """Let the database take connections again, or refuse them and cut the open ones."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(on).lower()}')
        if not on:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def terminate_backends(url: str) -> int:
    """Cut every connection to the database and wait until their backends are gone (the
    termination is asynchronous: a backend says goodbye and closes after the call)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        ).fetchall()

        def gone() -> bool:
            left = admin.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            return left is not None and left[0] == 0

        wait_until(gone, "the terminated backends to exit", deadline=30)
    return len(rows)


def count_done(url: str) -> int:
    """Items a running worker recorded as sent (or settled), read from outside; 0 until
    the worker has created the tables."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute(
                "SELECT COUNT(*) FROM payout_items WHERE status IN ('sent', 'completed')"
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def payouts_by_item(sb: Any) -> dict[str, list[str]]:
    """The sandbox's own record of what was paid: ledger item id → payout tokens."""
    paid: dict[str, list[str]] = collections.defaultdict(list)
    for tx in sb.transactions():
        if tx.get("kind", "").endswith("payout"):
            paid[str((tx.get("custom_data") or {}).get("transaction_id"))].append(tx["token"])
    return paid


def test_postgres_going_away_mid_batch_stops_the_run_loses_nothing_and_it_resumes(
    own_db: str, tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "outage.csv"
    path.write_text(
        "reference,phone,amount\n" + "".join(f"O{i:04d},22670123456,100\n" for i in range(200)),
        encoding="utf-8",
    )
    batch_id = load_batch(str(path)).id
    ligdicash_sandbox.add_fault("latency", count=100_000, path="payout", latency_ms=100)
    run = ("payouts", "run", str(path), "--store", own_db, "--yes", "--workers", "4")
    run += ("--allow-repeat-recipient",)  # every row pays one number
    worker = popen(*run, env=env)
    try:
        wait_until(lambda: count_done(own_db) >= 20 or worker.poll() is not None, "20 items sent")
        assert worker.poll() is None, "the batch ended before the outage"
        switch(own_db, on=False)
        _, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        switch(own_db, on=True)

    # A clear, one-line error naming the store; no traceback, no password.
    assert worker.returncode not in (0, None)
    assert "Traceback" not in err
    assert SECRET not in err
    assert "PostgreSQL ledger" in err
    assert "***" in err

    # Nothing marked wrongly: what the sandbox paid is recorded as (possibly) sent, never as
    # pending or failed; every token in the ledger is the sandbox's.
    ledger = open_ledger(own_db)
    try:
        paid = payouts_by_item(ligdicash_sandbox)
        items = {item.id: item for item in ledger.items(batch_id)}
        assert len(items) == 200
        assert all(len(tokens) == 1 for tokens in paid.values())
        for ident, tokens in paid.items():
            assert items[ident].status in ("sending", "sent", "completed", "in_doubt"), ident
            assert items[ident].token in ("", tokens[0])
        for item in items.values():
            if item.token:
                assert paid[item.id] == [item.token]
        stuck = [i for i in items.values() if i.status == "sending"]

        # The database is back: a new run turns the dead run's sending items in_doubt (never
        # pending) and sends the rest.
        again = cli(*run, env=env, timeout=180)
        doubts = ledger.items(batch_id, statuses=["in_doubt"])
        assert again.returncode == (5 if doubts else 0), again.stderr  # 5: doubts left
        assert {i.id for i in doubts} >= {i.id for i in stuck}
        paid = payouts_by_item(ligdicash_sandbox)
        for doubt in doubts:  # the operator checks each one against LigdiCash's records
            if doubt.id in paid:
                ledger.resolve(doubt.id, sent_token=paid[doubt.id][0])
            else:
                ledger.resolve(doubt.id, not_sent=True)
        final = cli(*run, env=env, timeout=180)
        assert final.returncode == 0, final.stderr
        assert ledger.batch_info(batch_id).counts == {"completed": 200}
    finally:
        ledger.close()
    paid = payouts_by_item(ligdicash_sandbox)
    assert sorted(paid) == sorted(items)
    assert all(len(tokens) == 1 for tokens in paid.values())  # nobody paid twice


def test_a_postgres_ledger_whose_idle_connections_were_cut_just_works(own_db: str) -> None:
    ledger = open_ledger(own_db)
    try:
        batch = load_batch([{"reference": "I1", "phone": "22670123456", "amount": 100}])
        ledger.add_batch(batch)
        assert terminate_backends(own_db) >= 1
        # The pool checks a connection before lending it: no error at all.
        assert ledger.batch_info(batch.id).counts == {"pending": 1}
        item = ledger.claim(batch.id, WorkerIdentity())
        assert item is not None
        assert item.status == "sending"
    finally:
        ledger.close()


def test_a_postgres_ledger_that_cannot_connect_raises_store_unavailable(own_db: str) -> None:
    ledger = open_ledger(own_db)
    batch = load_batch([{"reference": "D1", "phone": "22670123456", "amount": 100}])
    ledger.add_batch(batch)
    switch(own_db, on=False)
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            ledger.claim(batch.id, WorkerIdentity())
    finally:
        switch(own_db, on=True)
    assert isinstance(caught.value, LigdicashError)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(ledger)
    assert caught.value.__cause__ is None  # a driver's message may quote the URL
    # Back: the same ledger object works again; the failed claim left nothing behind.
    wait_until(
        lambda: _claims(ledger, batch.id) is not None, "the ledger to reconnect", deadline=30
    )
    assert ledger.batch_info(batch.id).counts == {"sending": 1}
    ledger.close()


def _claims(ledger: Ledger, batch_id: str) -> Any:
    try:
        return ledger.claim(batch_id, WorkerIdentity())
    except StoreUnavailableError:
        return None


def test_a_sqlite_ledger_locked_past_its_timeout_raises_store_unavailable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    ledger = SQLiteLedger(str(path), timeout=0.05)
    batch = load_batch([{"reference": "L1", "phone": "22670123456", "amount": 100}])
    ledger.add_batch(batch)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError, match="locked"):
        ledger.claim(batch.id, WorkerIdentity())
    blocker.execute("ROLLBACK")
    blocker.close()
    assert ledger.claim(batch.id, WorkerIdentity()) is not None
    ledger.close()
