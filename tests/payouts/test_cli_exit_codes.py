"""Exit codes and machine output (issue 20 item 5): a run with failed payouts or skipped
rows is not "done" (4), payouts in doubt are 5, and under ``--json`` an error is one JSON
object on stdout as well as one line on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_helpers import cli, sandbox_env


def test_a_failed_payout_and_a_skipped_row_exit_4(tmp_path: Path, ligdicash_sandbox: Any) -> None:
    path = tmp_path / "b.csv"
    # 22670000500: the sandbox accepts the payout, then it fails (nocompleted).
    path.write_text("reference;phone;amount\nA;22670123456;100\nB;22670000500;100\nC;abc;100\n")
    result = cli(
        "payouts",
        "run",
        str(path),
        "--yes",
        "--skip-invalid",
        "--json",
        env=sandbox_env(ligdicash_sandbox),
    )
    assert result.returncode == 4, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"completed": 1, "failed": 1}
    assert (summary["skipped"], summary["exit_code"]) == (1, 4)
    assert "skipped line 4" in result.stderr


def test_a_run_that_only_skipped_rows_exits_4(tmp_path: Path, ligdicash_sandbox: Any) -> None:
    path = tmp_path / "b.csv"
    path.write_text("reference;phone;amount\nA;22670123456;100\nC;abc;100\n")
    env = sandbox_env(ligdicash_sandbox)
    assert cli("payouts", "run", str(path), "--yes", "--skip-invalid", env=env).returncode == 4


def test_errors_are_json_on_stdout_under_json(tmp_path: Path, ligdicash_sandbox: Any) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text("reference;phone;amount\nA;22670123456;5\nB;70123456;100\n")
    bad = cli("payouts", "run", str(path), "--yes", "--json", env=env)
    assert bad.returncode == 2
    error = json.loads(bad.stdout)["error"]
    assert (error["code"], error["exit_code"]) == ("invalid_batch", 2)
    assert [p["line"] for p in error["problems"]] == [2, 3]
    assert bad.stderr.startswith("ligdicash: [invalid_batch] 2 problems")

    unknown = cli("payouts", "status", "b0000000000000000", "--json", env=env)
    assert unknown.returncode == 2, unknown.stderr
    assert json.loads(unknown.stdout)["error"]["exit_code"] == 2

    bad_store = cli("payouts", "status", "latest", "--store", "mysql://x/y", "--json", env=env)
    assert bad_store.returncode == 2
    assert json.loads(bad_store.stdout)["error"]["code"] == "store_url"


def test_the_help_lists_the_exit_codes(ligdicash_sandbox: Any) -> None:
    result = cli("-h", env=sandbox_env(ligdicash_sandbox))
    assert result.returncode == 0
    for line in ("0  done", "4  some payouts failed", "5  some payouts are in doubt"):
        assert line in result.stdout
