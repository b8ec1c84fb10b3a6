"""Issue 17 item 1: the default ledger is the account's, so an edited copy of a batch file
cannot pay its unchanged rows again; the sandbox's own payout list is the judge."""

from __future__ import annotations

import collections
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli, sandbox_env

from ligdicash import InvalidRequestError
from ligdicash.payouts import (
    ReferenceReusedError,
    account_ledger_url,
    data_directory,
    default_ledger_url,
    load_batch,
    open_ledger,
)


def write(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    lines = ["reference;phone;amount"] + [f"{r};{p};{a}" for r, p, a in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROWS = [
    ("PAY-1", "22670000001", 5000),
    ("PAY-2", "22670000002", 7000),
    ("PAY-3", "22670000003", 9000),
]


def paid_per_reference(sb: Any) -> collections.Counter[str]:
    """How many payouts the sandbox holds per reference (``<batch>-<reference>``)."""
    return collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id")).split("-", 1)[1]
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    )


def test_an_edited_copy_under_a_new_name_pays_nobody_twice(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    first = cli("payouts", "run", str(write(tmp_path / "payouts.csv", ROWS)), "--yes", env=env)
    assert first.returncode == 0, first.stderr
    assert paid_per_reference(ligdicash_sandbox) == {"PAY-1": 1, "PAY-2": 1, "PAY-3": 1}
    # The operator fixes one amount and saves the file under a new name, in another folder.
    (tmp_path / "v2").mkdir()
    edited = write(tmp_path / "v2" / "payouts-v2.csv", [*ROWS[:2], ("PAY-3", "22670000003", 9500)])
    again = cli("payouts", "run", str(edited), "--yes", env=env)
    assert again.returncode == 2, again.stderr
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1, again.stderr
    batch_id = load_batch(str(tmp_path / "payouts.csv")).id
    assert (
        f"reference 'PAY-1' is already in batch {batch_id} (payouts.csv line 2, completed)"
        in (lines[0])
    )
    assert "--allow-repeat" in lines[0]
    assert "Traceback" not in again.stderr
    assert paid_per_reference(ligdicash_sandbox) == {"PAY-1": 1, "PAY-2": 1, "PAY-3": 1}


def test_allow_repeat_names_each_new_payment_and_pays_only_those(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    assert (
        cli("payouts", "run", str(write(tmp_path / "a.csv", ROWS)), "--yes", env=env).returncode
        == 0
    )
    # A plain copy is the same batch (its id is its content's digest): nothing to send.
    copy = cli("payouts", "run", str(write(tmp_path / "copy.csv", ROWS)), "--yes", env=env)
    assert copy.returncode == 0, copy.stderr
    assert "(resuming)" in copy.stderr
    whole = write(tmp_path / "b.csv", [*ROWS[:2], ("PAY-3", "22670000003", 500)])
    # Naming one reference does not wave the others through.
    partly = cli("payouts", "run", str(whole), "--yes", "--allow-repeat", "PAY-1", env=env)
    assert partly.returncode == 2
    assert "'PAY-2'" in partly.stderr
    assert "'PAY-1' " not in partly.stderr
    fixed = write(tmp_path / "c.csv", [("PAY-3", "22670000003", 500)])
    run = cli("payouts", "run", str(fixed), "--yes", "--allow-repeat", "PAY-3", env=env)
    assert run.returncode == 0, run.stderr
    assert paid_per_reference(ligdicash_sandbox) == {"PAY-1": 1, "PAY-2": 1, "PAY-3": 2}
    # And the repeat now holds PAY-3: a further copy is refused again.
    copy = cli("payouts", "run", str(write(tmp_path / "d.csv", ROWS[2:])), "--yes", env=env)
    assert copy.returncode == 2
    assert paid_per_reference(ligdicash_sandbox)["PAY-3"] == 2


def test_a_recipient_paid_the_same_amount_recently_is_a_warning_before_the_prompt(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    assert (
        cli("payouts", "run", str(write(tmp_path / "a.csv", ROWS)), "--yes", env=env).returncode
        == 0
    )
    # New references, but PAY-2's recipient gets the same 7,000 XOF again.
    later = write(
        tmp_path / "b.csv", [("DEC-1", "22670000002", 7000), ("DEC-2", "22670000009", 100)]
    )
    asked = cli("payouts", "run", str(later), env=env, stdin="n\n")
    assert asked.returncode == 1
    err = asked.stderr
    warning = err.index("1 payout(s) of this batch pay a recipient the same amount")
    assert "less than 7 day(s) old" in err
    assert "line 2: 22670000002, 7,000 XOF; like 'PAY-2' in batch" in err
    assert warning < err.index("Send 2 payouts")
    assert paid_per_reference(ligdicash_sandbox) == {"PAY-1": 1, "PAY-2": 1, "PAY-3": 1}
    quiet = cli("payouts", "run", str(later), "--recent-days", "0", env=env, stdin="n\n")
    assert "same amount" not in quiet.stderr
    assert "Send 2 payouts" in quiet.stderr


def test_the_default_ledger_lives_in_the_data_directory_named_by_a_digest_of_the_key(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    assert (
        cli("payouts", "run", str(write(tmp_path / "a.csv", ROWS)), "--yes", env=env).returncode
        == 0
    )
    assert not list(tmp_path.glob("*.ledger.db"))
    url = account_ledger_url(ligdicash_sandbox.api_key)
    assert url.startswith("sqlite:///" + data_directory())
    assert ligdicash_sandbox.api_key not in url
    ledger = open_ledger(url)
    try:
        assert ledger.batch_ids() == [load_batch(str(tmp_path / "a.csv")).id]
    finally:
        ledger.close()
    assert account_ledger_url("another key") != url
    with pytest.raises(InvalidRequestError, match="API key"):
        account_ledger_url("  ")


def test_the_refusal_lives_in_the_ledger_with_the_earlier_batch_and_line(tmp_path: Path) -> None:
    ledger = open_ledger(account_ledger_url("key-1"))
    try:
        first = load_batch(str(write(tmp_path / "a.csv", ROWS)))
        assert ledger.add_batch(first) is True
        edited = load_batch(str(write(tmp_path / "b.csv", [("NEW", "22670000001", 20), *ROWS[1:]])))
        with pytest.raises(ReferenceReusedError) as refused:
            ledger.add_batch(edited)
        assert refused.value.count == 2
        assert [(e.reference, e.batch_id, e.line) for e in refused.value.earlier] == [
            ("PAY-2", first.id, 3),
            ("PAY-3", first.id, 4),
        ]
        assert edited.id not in ledger.batch_ids()
        # Cancelling an unsent item frees its reference.
        ledger.cancel(f"{first.id}-PAY-2")
        with pytest.raises(ReferenceReusedError, match="PAY-3") as again:
            ledger.add_batch(edited)
        assert again.value.count == 1
        with pytest.raises(InvalidRequestError, match="'PAY-4'"):  # a typo is not ignored
            ledger.add_batch(edited, new_payments=["PAY-3", "PAY-4"])
        assert ledger.add_batch(edited, new_payments=["PAY-3"]) is True
        holder = ledger.payment_of("PAY-3")
        assert holder is not None
        assert holder.batch_id == edited.id
    finally:
        ledger.close()


V1_TABLES = (
    "CREATE TABLE ligdicash_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT INTO ligdicash_schema VALUES ('payouts', 1)",
    "CREATE TABLE payout_batches (id TEXT PRIMARY KEY, source TEXT NOT NULL, item_count INTEGER "
    "NOT NULL, total BIGINT NOT NULL, paused_reason TEXT NOT NULL, created_at DOUBLE PRECISION "
    "NOT NULL)",
    "CREATE TABLE payout_items (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, position INTEGER "
    "NOT NULL, reference TEXT NOT NULL, phone TEXT NOT NULL, amount BIGINT NOT NULL, type TEXT "
    "NOT NULL, to_wallet INTEGER NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, "
    "token TEXT NOT NULL DEFAULT '', error_code TEXT NOT NULL DEFAULT '', error TEXT NOT NULL "
    "DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0, worker TEXT NOT NULL DEFAULT '', "
    "updated_at DOUBLE PRECISION NOT NULL, polled_at DOUBLE PRECISION NOT NULL DEFAULT 0, "
    "resolution TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE payout_evidence (item_id TEXT PRIMARY KEY, status TEXT NOT NULL, received_at "
    "DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE payout_workers (id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, host TEXT NOT "
    "NULL, pid INTEGER NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL)",
)


def test_a_version_1_ledger_with_repeated_references_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for statement in V1_TABLES:
            conn.execute(statement)
        for batch in ("b1", "b2"):  # version 1 let allow_overlap (or a race) repeat R
            conn.execute("INSERT INTO payout_batches VALUES (?, '', 1, 100, '', 1.0)", (batch,))
            conn.execute(
                "INSERT INTO payout_items (id, batch_id, position, reference, phone, amount, "
                "type, to_wallet, description, status, updated_at) "
                "VALUES (?, ?, 0, 'R', '22670000001', 100, 'merchant', 0, '', 'completed', 1.0)",
                (f"{batch}-R", batch),
            )
    conn.close()
    ledger = open_ledger(f"sqlite:///{path}")
    try:
        assert [i.status for b in ("b1", "b2") for i in ledger.items(b)] == ["completed"] * 2
        with pytest.raises(ReferenceReusedError, match="'R' is already in batch b1"):
            ledger.add_batch(
                load_batch([{"reference": "R", "phone": "22670000001", "amount": 100}])
            )
    finally:
        ledger.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM ligdicash_schema").fetchone() == (2,)
        with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses now
            conn.execute(
                "INSERT INTO payout_items (id, batch_id, position, reference, phone, amount, "
                "type, to_wallet, description, status, updated_at) "
                "VALUES ('b3-R', 'b3', 0, 'R', '1', 1, 'merchant', 0, '', 'pending', 1.0)"
            )
    conn.close()


def test_a_ledger_an_earlier_version_kept_beside_the_file_is_not_bypassed(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = write(tmp_path / "payouts.csv", ROWS)
    old = open_ledger(default_ledger_url(str(path)))  # what ligdicash 1.x left there
    batch = load_batch(str(path))
    old.add_batch(batch)
    old.close()
    run = cli("payouts", "run", str(path), "--yes", env=env)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert f"--store {default_ledger_url(str(path))}" in run.stderr
    assert paid_per_reference(ligdicash_sandbox) == {}
    status = cli("payouts", "status", str(path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert '"pending": 3' in status.stdout


def test_a_version_1_postgres_ledger_is_migrated_under_its_lock(own_pg_url: str) -> None:
    import psycopg

    with psycopg.connect(own_pg_url, autocommit=True) as conn:
        for statement in V1_TABLES:
            conn.execute(statement)
        for batch in ("b1", "b2", "b3"):
            conn.execute("INSERT INTO payout_batches VALUES (%s, '', 1, 100, '', 1.0)", (batch,))
            status = "cancelled" if batch == "b3" else "completed"
            conn.execute(
                "INSERT INTO payout_items (id, batch_id, position, reference, phone, amount, "
                "type, to_wallet, description, status, updated_at) "
                "VALUES (%s, %s, 0, 'R', '22670000001', 100, 'merchant', 0, '', %s, 1.0)",
                (f"{batch}-R", batch, status),
            )
    # Two ledgers opening it at once: one migrates, the other finds version 2.
    opened: list[Any] = []
    threads = [
        threading.Thread(target=lambda: opened.append(open_ledger(own_pg_url))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(opened) == 2
    ledger = opened[0]
    try:
        holder = ledger.payment_of("R")
        assert holder is not None
        assert holder.batch_id in ("b1", "b2")
        with pytest.raises(ReferenceReusedError):
            ledger.add_batch(
                load_batch([{"reference": "R", "phone": "22670000001", "amount": 100}])
            )
    finally:
        for each in opened:
            each.close()
    with psycopg.connect(own_pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT version FROM ligdicash_schema WHERE component = 'payouts'")
        assert row.fetchone() == (2,)
        holders = conn.execute("SELECT id FROM payout_items WHERE repeat_key = '' ORDER BY id")
        assert len(holders.fetchall()) == 1  # one of b1/b2; the cancelled b3 holds nothing


def test_an_edited_copy_beside_a_1x_ledger_is_checked_against_it(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    # ligdicash 1.x paid payouts.csv with its ledger beside the file...
    first = write(tmp_path / "payouts.csv", ROWS)
    old = open_ledger(default_ledger_url(str(first)))
    paid = load_batch(str(first))
    old.add_batch(paid)
    for item in old.items(paid.id):
        old.move(item.id, "sending", expect=["pending"])
        old.move(item.id, "sent", expect=["sending"], token="t")
        old.move(item.id, "completed", expect=["sent"])
    old.close()
    # ... and, upgraded, the operator runs an edited copy saved in the same folder.
    edited = write(tmp_path / "payouts-v2.csv", [*ROWS[:2], ("PAY-3", "22670000003", 9500)])
    run = cli("payouts", "run", str(edited), "--yes", env=env)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "payouts.csv.ledger.db" in run.stderr
    assert f"reference 'PAY-1' is already in batch {paid.id}" in run.stderr
    assert paid_per_reference(ligdicash_sandbox) == {}
    fixed = write(tmp_path / "payouts-v3.csv", [("PAY-3", "22670000003", 500)])
    again = cli("payouts", "run", str(fixed), "--yes", "--allow-repeat", "PAY-3", env=env)
    assert again.returncode == 0, again.stderr
    assert paid_per_reference(ligdicash_sandbox) == {"PAY-3": 1}
