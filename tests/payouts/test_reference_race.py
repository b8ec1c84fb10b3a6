"""Issue 17 item 2: two ledgers adding batches that share references at the same moment:
exactly one takes them, on PostgreSQL (READ COMMITTED) as on SQLite, and the loser gets a
one-line refusal, never the driver's ``UniqueViolation``."""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any, Callable

import pytest
from cli_helpers import popen, sandbox_env

from ligdicash.payouts import Batch, ReferenceReusedError, load_batch, open_ledger

TRIALS = 20


def batches(trial: int, n: int = 50) -> tuple[Batch, Batch]:
    """Two different batches (amounts differ) over the same ``n`` references."""
    rows = [
        {"reference": f"T{trial}-{i}", "phone": "22670123456", "amount": 100 + i} for i in range(n)
    ]
    other = [{**row, "amount": int(str(row["amount"])) + 1} for row in rows]
    return load_batch(rows), load_batch(other)


def race(url: str, first: Batch, second: Batch) -> list[Any]:
    """Both batches added at once, each through a ledger (a pool, a connection) of its own;
    the outcomes: True, False or the exception raised."""
    ledgers = [open_ledger(url), open_ledger(url)]
    start = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def add(n: int, batch: Batch) -> None:
        start.wait()
        try:
            outcomes[n] = ledgers[n].add_batch(batch)
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=add, args=(n, b)) for n, b in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for ledger in ledgers:
        ledger.close()
    return outcomes


def holders(url: str, batch: Batch) -> collections.Counter[str]:
    """How many batches of the ledger hold each reference of ``batch`` (not cancelled)."""
    ledger = open_ledger(url)
    try:
        refs = {it.reference for it in batch.items}
        counts: collections.Counter[str] = collections.Counter()
        for batch_id in ledger.batch_ids():
            counts.update(i.reference for i in ledger.items(batch_id) if i.reference in refs)
        return counts
    finally:
        ledger.close()


def check_trials(url: Callable[[int], str]) -> None:
    for trial in range(TRIALS):
        first, second = batches(trial)
        outcomes = race(url(trial), first, second)
        won = [o for o in outcomes if o is True]
        lost = [o for o in outcomes if isinstance(o, ReferenceReusedError)]
        assert (len(won), len(lost)) == (1, 1), f"trial {trial}: {outcomes!r}"
        assert "is already in batch" in str(lost[0])
        assert "\n" not in str(lost[0])
        assert set(holders(url(trial), first).values()) == {1}, f"trial {trial}"


def test_postgres_two_ledgers_racing_never_both_take_a_reference(pg_url: str) -> None:
    check_trials(lambda trial: pg_url)


def test_sqlite_two_ledgers_racing_never_both_take_a_reference(tmp_path: Path) -> None:
    check_trials(lambda trial: f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_same_batch_added_twice_at_once_is_added_once_quietly(
    backend: str, pg_url: str, tmp_path: Path
) -> None:
    url = pg_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'same.db'}"
    for trial in range(TRIALS):
        batch, _ = batches(100 + trial)
        outcomes = race(url, batch, batch)
        assert sorted(outcomes, key=str) == [False, True], f"trial {trial}: {outcomes!r}"


def test_two_cli_runs_racing_on_postgres_pay_each_reference_once(
    tmp_path: Path, ligdicash_sandbox: Any, own_pg_url: str
) -> None:
    # A database of its own: the session's one keeps these batches from the other wire's
    # run, so a second run would only resume them (and pay nothing on this sandbox).
    env = {**sandbox_env(ligdicash_sandbox), "LIGDICASH_PAYOUTS_STORE": own_pg_url}
    for trial in range(3):
        paths = []
        for n in (0, 1):
            lines = ["reference;phone;amount"]
            lines += [f"C{trial}-{i};22670123456;{100 + i + n}" for i in range(200)]
            path = tmp_path / f"trial{trial}-{n}.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            paths.append(path)
        run = ("payouts", "run", "--yes", "--allow-repeat-recipient")
        procs = [popen(*run, str(p), env=env) for p in paths]
        results = []
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            results.append((proc.returncode, err))
        codes = sorted(code for code, _ in results)
        assert codes == [0, 2], results
        loser = next(err for code, err in results if code == 2)
        assert "is already in batch" in loser
        assert len(loser.strip().splitlines()) == 1, loser
        assert "Traceback" not in loser
    paid = collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id")).split("-", 1)[1]
        for tx in ligdicash_sandbox.transactions()
        if tx.get("kind", "").endswith("payout")
    )
    assert len(paid) == 600
    assert set(paid.values()) == {1}


def test_the_same_file_run_twice_at_once_on_postgres_is_one_batch_worked_by_both(
    tmp_path: Path, ligdicash_sandbox: Any, own_pg_url: str
) -> None:
    # A database of its own: the session's one keeps these batches from the other wire's
    # run, so a second run would only resume them (and pay nothing on this sandbox).
    env = {**sandbox_env(ligdicash_sandbox), "LIGDICASH_PAYOUTS_STORE": own_pg_url}
    for trial in range(3):
        lines = ["reference;phone;amount"]
        lines += [f"S{trial}-{i};22670123456;{100 + i}" for i in range(200)]
        path = tmp_path / f"same{trial}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        run = ("payouts", "run", "--yes", "--allow-repeat-recipient")
        procs = [popen(*run, str(path), env=env) for _ in range(2)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            assert "UniqueViolation" not in err
    paid = collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id")).split("-", 1)[1]
        for tx in ligdicash_sandbox.transactions()
        if tx.get("kind", "").endswith("payout")
    )
    assert len(paid) == 600
    assert set(paid.values()) == {1}
