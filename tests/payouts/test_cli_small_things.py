"""The small things of issue 20 item 7, each as a newcomer met it."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli, sandbox_env

ROOT = Path(__file__).resolve().parents[2]


def _no_key(sb: Any) -> dict[str, str]:
    env = sandbox_env(sb)
    del env["LIGDICASH_API_KEY"]
    return env


def test_status_latest_without_a_ledger_says_how_to_name_one(ligdicash_sandbox: Any) -> None:
    result = cli("payouts", "status", "latest", env=_no_key(ligdicash_sandbox))
    assert result.returncode == 2
    assert "is not a file" not in result.stderr
    assert "'latest' names a batch of a ledger" in result.stderr
    assert "--store" in result.stderr
    assert "LIGDICASH_API_KEY" in result.stderr


def test_lang_and_version_on_the_group(ligdicash_sandbox: Any) -> None:
    env = _no_key(ligdicash_sandbox)
    french = cli("--lang", "fr", "payouts", "status", "latest", env=env)
    assert french.returncode == 2, french.stderr
    assert "désigne un lot d'un registre" in french.stderr
    # Where --lang was accepted before, it still is.
    assert "désigne" in cli("payouts", "status", "latest", "--lang", "fr", env=env).stderr
    version = cli("--version", env=env)
    assert version.returncode == 0
    assert version.stdout.startswith("ligdicash ")


def test_the_status_line_has_no_trailing_spaces(ligdicash_sandbox: Any) -> None:
    env = sandbox_env(ligdicash_sandbox)
    created = cli(
        "invoice", "create", "--amount", "1500", "--description", "Order 9", "--json", env=env
    )
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["token"]
    status = cli("status", token, env=env)  # pending: no operator yet
    assert status.returncode == 0, status.stderr
    line = status.stdout.rstrip("\n")
    assert line.startswith("pending")
    assert line == line.rstrip(), repr(line)


def test_the_progress_is_whole_when_the_output_is_not_a_terminal(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    del env["COLUMNS"]  # the width a pipe gets: 80
    path = tmp_path / "b.csv"
    rows = [f"P{i:03d};2267{1000000 + i:07d};{100 + i}" for i in range(120)]
    path.write_text("reference;phone;amount\n" + "\n".join(rows) + "\n")
    result = cli("payouts", "run", str(path), "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert "120/120" in result.stderr
    assert "\u2026" not in result.stderr  # nothing cut short with an ellipsis
    assert "\x1b[" not in result.stderr  # no cursor movements in a log file


def test_gitignore_covers_the_sqlite_side_files() -> None:
    ignore = ROOT / ".gitignore"
    if not ignore.exists():
        pytest.skip("not a git checkout (an sdist has no .gitignore)")
    patterns = [p.strip() for p in ignore.read_text().splitlines() if p.strip()]
    for name in (
        "ligdicash-callbacks.sqlite3-wal",
        "ligdicash-callbacks.sqlite3-shm",
        "payouts.csv.ledger.db-wal",
        "payouts.csv.ledger.db-shm",
    ):
        assert any(fnmatch.fnmatch(name, p) for p in patterns), name


def test_a_rerun_on_a_new_ledger_explains_the_repeated_transaction_id(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text("reference;phone;amount\nA;22670123456;100\nB;22670123457;200\n")
    first = f"sqlite:///{tmp_path / 'first.db'}"
    assert cli("payouts", "run", str(path), "--yes", "--store", first, env=env).returncode == 0
    second = f"sqlite:///{tmp_path / 'second.db'}"
    again = cli("payouts", "run", str(path), "--yes", "--store", second, env=env)
    assert again.returncode == 5, again.stderr  # in doubt: never paid twice
    text = " ".join(again.stderr.split())
    assert "a payout with this transaction_id already exists" in text
    assert "the batch id is a digest of the file's rows" in text
    status = cli("payouts", "status", str(path), "--store", second, env=env)
    assert "already exists" in " ".join(status.stdout.split())
