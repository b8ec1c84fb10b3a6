"""``ligdicash payouts ...`` driven in a subprocess against the sandbox."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from cli_helpers import cli, popen, sandbox_env

from ligdicash.payouts import account_ledger_url, load_batch, open_ledger


def batch_file(tmp_path: Path, n: int, *, kind: str = "merchant", sep: str = ";") -> Path:
    lines = [sep.join(("reference", "phone", "amount", "type"))]
    # One number per row: a batch paying one number twice needs --allow-repeat-recipient.
    lines += [
        sep.join((f"P{i:03d}", f"2267{1000000 + i:07d}", str(100 + i), kind)) for i in range(n)
    ]
    path = tmp_path / "batch.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def payouts_in(sb: Any) -> list[str]:
    return [
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    ]


def test_run_pays_the_file_and_report_and_status_read_it(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = batch_file(tmp_path, 12)
    done = cli("payouts", "run", str(path), "--yes", "--workers", "3", "--json", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["counts"] == {"completed": 12}
    assert "12 payouts, 1,266 XOF" in done.stderr
    report = cli("payouts", "report", str(path), "--format", "json", env=env)
    rows = json.loads(report.stdout)
    assert [r["reference"] for r in rows] == [f"P{i:03d}" for i in range(12)]
    assert {r["status"] for r in rows} == {"completed"}
    assert all(r["token"] for r in rows)
    csv_report = cli("payouts", "report", str(path), "--format", "csv", env=env)
    assert csv_report.stdout.splitlines()[0].startswith("reference,phone,amount,type,status,token")
    status = cli("payouts", "status", str(path), env=env)
    assert "completed" in status.stdout
    assert status.returncode == 0
    # Re-running the same file pays nobody again.
    again = cli("payouts", "run", str(path), "--yes", env=env)
    assert again.returncode == 0
    assert "0 to send" in again.stderr
    assert sorted(payouts_in(ligdicash_sandbox)) == sorted(set(payouts_in(ligdicash_sandbox)))
    assert len(payouts_in(ligdicash_sandbox)) == 12


def test_run_asks_first_and_a_no_sends_nothing(tmp_path: Path, ligdicash_sandbox: Any) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = batch_file(tmp_path, 3)
    declined = cli("payouts", "run", str(path), env=env, stdin="n\n")
    assert declined.returncode == 1
    assert "Send 3 payouts, 303 XOF?" in declined.stderr
    assert payouts_in(ligdicash_sandbox) == []
    accepted = cli("payouts", "run", str(path), env=env, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert len(payouts_in(ligdicash_sandbox)) == 3


def test_a_bad_file_is_one_line_exit_2_and_nothing_sent(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("reference,phone,amount\nA,22670123456,5\nB,abc,100\n", encoding="utf-8")
    result = cli("payouts", "run", str(path), "--yes", env=sandbox_env(ligdicash_sandbox))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "line 2" in result.stderr
    assert "line 3" in result.stderr
    assert payouts_in(ligdicash_sandbox) == []


def test_an_in_doubt_payout_exits_5_and_resolve_not_sent_lets_a_rerun_pay_it(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = batch_file(tmp_path, 4, kind="client")
    ligdicash_sandbox.add_fault("drop", count=1, path="withdrawal/create")
    first = cli("payouts", "run", str(path), "--yes", "--workers", "1", env=env)
    assert first.returncode == 5
    assert "in_doubt" in first.stderr
    assert "will NOT be re-sent" in first.stderr
    rows = json.loads(cli("payouts", "report", str(path), "--format", "json", env=env).stdout)
    (doubt,) = [r for r in rows if r["status"] == "in_doubt"]
    assert doubt["error"]
    assert len(payouts_in(ligdicash_sandbox)) == 3
    resolved = cli(
        "payouts", "resolve", doubt["item_id"], "--not-sent", "--file", str(path), env=env
    )
    assert resolved.returncode == 0, resolved.stderr
    assert "pending" in resolved.stdout
    final = cli("payouts", "run", str(path), "--yes", env=env)
    assert final.returncode == 0, final.stderr
    assert sorted(payouts_in(ligdicash_sandbox)) == sorted({r["item_id"] for r in rows})


def test_a_low_balance_pauses_with_exit_1(tmp_path: Path, ligdicash_sandbox: Any) -> None:
    ligdicash_sandbox.set_balance(50)
    path = batch_file(tmp_path, 3)
    result = cli("payouts", "run", str(path), "--yes", env=sandbox_env(ligdicash_sandbox))
    assert result.returncode == 1
    assert "paused" in result.stderr
    assert payouts_in(ligdicash_sandbox) == []


def test_sigint_finishes_in_flight_records_it_and_a_rerun_completes(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = batch_file(tmp_path, 300)
    ligdicash_sandbox.add_fault("latency", count=10_000, path="payout", latency_ms=100)
    proc = popen("payouts", "run", str(path), "--yes", "--workers", "4", env=env)
    batch_id = load_batch(str(path)).id
    deadline = time.monotonic() + 60
    while len(payouts_in(ligdicash_sandbox)) < 8:
        assert time.monotonic() < deadline, "the run never started paying"
        assert proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    ledger = open_ledger(account_ledger_url(ligdicash_sandbox.api_key))
    info = ledger.batch_info(batch_id)
    assert info.count("sending", "in_doubt") == 0
    assert 0 < info.count("sent", "completed") < 300
    paid = payouts_in(ligdicash_sandbox)
    assert len(paid) == info.count("sent", "completed")
    ligdicash_sandbox.clear_faults()
    final = cli("payouts", "run", str(path), "--yes", "--workers", "8", env=env)
    assert final.returncode == 0, final.stderr
    assert ledger.batch_info(batch_id).counts == {"completed": 300}
    paid = payouts_in(ligdicash_sandbox)
    assert len(paid) == len(set(paid)) == 300
    ledger.close()


def test_help_lists_the_payout_commands(ligdicash_sandbox: Any) -> None:
    result = cli("payouts", "--help", env=sandbox_env(ligdicash_sandbox))
    assert result.returncode == 0
    for name in ("run", "work", "status", "report", "resolve"):
        assert name in result.stdout
