"""Inputs that used to end in a traceback: each is one line on stderr and its documented
exit code, and nothing is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli, sandbox_env
from test_runner import rows, run

from ligdicash import Client, InvalidRequestError
from ligdicash.payouts import apply_callback, load_batch, open_ledger


def one_line(result: Any, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ligdicash: ")
    line: str = lines[0]
    return line


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("\u00b2500", "line 2: amount '\u00b2500' is not a whole number"),
        ("9" * 5000, "line 2: amount '999"),
        ("50.000", "line 2: amount '50.000' is ambiguous: write 50000"),
    ],
)
def test_a_bad_amount_is_one_line_exit_2(
    tmp_path: Path, ligdicash_sandbox: Any, cell: str, says: str
) -> None:
    path = tmp_path / "b.csv"
    path.write_text(f"reference;phone;amount\nA;22670123456;{cell}\n", encoding="utf-8")
    line = one_line(
        cli("payouts", "run", str(path), "--yes", env=sandbox_env(ligdicash_sandbox)), 2
    )
    assert says in line
    assert len(line) < 300


def test_a_cell_longer_than_the_csv_limit_is_one_line_exit_2(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    path = tmp_path / "b.csv"
    path.write_text(
        "reference,phone,amount,description\nA,22670123456,100,ok\n"
        f"B,22670123456,100,{'x' * 140_000}\n",
        encoding="utf-8",
    )
    line = one_line(
        cli("payouts", "run", str(path), "--yes", env=sandbox_env(ligdicash_sandbox)), 2
    )
    assert "line 3: a cell is longer than 131,072 characters" in line


def test_a_nul_in_a_description_is_refused_at_load_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("reference,phone,amount,description\nA,22670123456,100,a\x00b\n")
    # Python 3.9's csv module refuses the NUL itself ("line contains NUL"); 3.11 reads it and
    # the row check refuses it: one line naming line 2 either way.
    nul = r"line 2: (description contains a NUL|unreadable CSV \(line contains NUL\))"
    with pytest.raises(InvalidRequestError, match=nul):
        load_batch(path)


def test_report_into_a_missing_folder_is_one_line_exit_2(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text("reference,phone,amount\nA,22670123456,100\n", encoding="utf-8")
    assert cli("payouts", "run", str(path), "--yes", env=env).returncode == 0
    target = tmp_path / "no" / "such" / "report.csv"
    line = one_line(
        cli("payouts", "report", str(path), "-o", str(target), "--lang", "en", env=env), 2
    )
    assert f"cannot write {target}: No such file or directory" in line


def test_resolving_a_completed_payout_is_a_usage_error_not_a_network_one(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text("reference,phone,amount\nA,22670123456,100\n", encoding="utf-8")
    assert cli("payouts", "run", str(path), "--yes", env=env).returncode == 0
    report = json.loads(cli("payouts", "report", str(path), "--format", "json", env=env).stdout)
    item = report[0]["item_id"]
    args = ("payouts", "resolve", item, "--not-sent", "--file", str(path))
    line = one_line(cli(*args, env=env), 2)
    assert "is completed, not in_doubt" in line


def test_a_nul_reaching_postgresql_is_a_library_error_that_does_not_echo_the_value(
    pg_url: str,
) -> None:
    from ligdicash import open_store

    store = open_store(pg_url)
    try:
        with pytest.raises(InvalidRequestError) as caught:
            store.get("order-\x00-secret-looking-value")
    finally:
        store.close()
    assert caught.value.code == "store_data"
    assert "NUL" in str(caught.value)
    assert "secret-looking-value" not in str(caught.value)


def test_a_forged_callback_with_a_nul_id_touches_no_postgresql_ledger_item(
    pg_url: str, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    ledger = open_ledger(pg_url)
    try:
        batch = load_batch(rows(1, kind="client"))
        ledger.add_batch(batch, allow_overlap=True)
        run(ledger, sb_client, batch.id, workers=1)
        with pytest.raises(InvalidRequestError) as caught:
            ledger.get(f"{batch.id}-R0000\x00")
        assert caught.value.code == "store_data"
        body = json.dumps(
            {
                "token": "forged",
                "status": "completed",
                "amount": 100,
                "custom_data": {"transaction_id": f"{batch.id}-R0000\x00"},
            }
        ).encode()
        outcome = apply_callback(ledger, sb_client, body, "application/json")
        assert outcome.action == "not_ours"
    finally:
        ledger.close()
