"""The ``ligdicash`` command says what went wrong in one line, refuses bad options, and has
``--version`` and ``-h`` everywhere. Each test drives the real command in a subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest

import ligdicash
from ligdicash._cli import build_cli


def _run(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}from ligdicash._cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def _module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ligdicash._cli", *args], capture_output=True, text=True, timeout=60
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_corrupt_database_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.sqlite"
    db.write_bytes(b"this is not SQLite, just text that someone saved with a .sqlite name" * 20)
    result = _module("sandbox", "--port", "0", "--db", str(db))
    assert result.returncode == 2
    assert _one_line(result) == (
        f"ligdicash: --db {db}: not a sandbox database (file is not a database)"
    )


def test_a_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE transactions (x TEXT)")
    conn.close()
    result = _module("sandbox", "--port", "0", "--db", str(db))
    assert result.returncode == 2
    assert _one_line(result).startswith(f"ligdicash: --db {db}: not a sandbox database")


@pytest.mark.parametrize("where", ["directory", "missing-parent"])
def test_an_unopenable_database_path_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    db = tmp_path if where == "directory" else tmp_path / "no" / "such" / "dir.sqlite"
    result = _module("sandbox", "--port", "0", "--db", str(db))
    assert result.returncode == 2
    expected = f"ligdicash: --db {db}: cannot open it (unable to open database file)"
    assert _one_line(result) == expected


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--balance", "-5"], "--balance"),
        (["--balance", str(10**16)], "--balance"),
        (["--public-url", "notaurl"], "--public-url"),
        (["--public-url", "ftp://host"], "--public-url"),
        (["--public-url", "http://host:port"], "--public-url"),
        (["--port", "70000"], "--port"),
    ],
)
def test_bad_option_values_are_refused_before_starting(args: list[str], mentions: str) -> None:
    result = _module("sandbox", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"Invalid value for '{mentions}'" in result.stderr
    assert "running" not in result.stdout


@pytest.mark.parametrize("command", [[], ["sandbox"], ["demo"]])
def test_version_is_available_on_the_group_and_every_command(command: list[str]) -> None:
    result = _module(*command, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ligdicash {ligdicash.__version__}"


@pytest.mark.parametrize("command", [[], ["sandbox"], ["demo"]])
def test_dash_h_is_help_on_the_group_and_every_command(command: list[str]) -> None:
    result = _module(*command, "-h")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: ")
    assert "-h, --help" in result.stdout


def test_every_option_of_every_command_has_a_help_text() -> None:
    cli = build_cli()
    commands = {"": cli, **cli.commands}
    assert {"sandbox", "demo"} <= set(commands)
    for name, command in commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name or 'ligdicash'} {param.opts} has no help text"


def test_a_missing_demo_dependency_is_named() -> None:
    result = _run("demo", prelude="import sys; sys.modules['starlette'] = None; ")
    assert result.returncode == 1
    line = _one_line(result)
    assert "(None)" not in line
    assert "a demo dependency (starlette)" in line
    assert "pip install 'ligdicash[cli,sandbox]'" in line
