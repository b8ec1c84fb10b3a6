"""The payouts page's shell commands, run for real: the page's own ``payouts.csv`` paid by
``ligdicash payouts run payouts.csv --yes`` against a sandbox, in the page's language (the
French page with ``LANG=fr_FR.UTF-8``, the English one with ``LANG=en_US.UTF-8``), printing
the very lines the page shows; then ``status`` and ``report`` on the same ledger."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "docs" / "site"
MAIN = "from ligdicash._cli import main; main()"
LOCALES = {"fr": "fr_FR.UTF-8", "en": "en_US.UTF-8"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from ligdicash.sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig.fast()) as running:
        yield running


def _blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"^```{re.escape(info)}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_payouts_page_commands_run_and_print_what_the_page_shows(
    language: str, sandbox: Any, tmp_path: Path
) -> None:
    sandbox.reset()
    page = (SITE / language / "payouts.md").read_text("utf-8")
    command = "ligdicash payouts run payouts.csv --yes"
    assert command in " ".join(page.split())
    # The page's block that writes payouts.csv, run as the reader would.
    [writer] = [b for b in _blocks(page, "python") if 'Path("payouts.csv")' in b]
    exec(compile(writer.replace('"payouts.csv"', repr(str(tmp_path / "payouts.csv"))), "p", "exec"))
    [shown] = _blocks(page, "text")
    summary = shown.splitlines()[0]

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIGDICASH_", "LC_")) and k != "LANG"
    }
    env.update(
        LANG=LOCALES[language],
        LIGDICASH_API_KEY=sandbox.api_key,
        LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
        LIGDICASH_BASE_URL=sandbox.base_url,
        COLUMNS="200",
    )
    run = _cli(*command.split()[1:], env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines()[0] == summary

    status = _cli("payouts", "status", "payouts.csv", "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    report = _cli("payouts", "report", "payouts.csv", "--format", "csv", env=env, cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert [(r["reference"], r["status"]) for r in rows] == [
        ("PAY-001", "completed"),
        ("PAY-002", "completed"),
        ("PAY-003", "completed"),
    ]


def _clean_env(language: str, sandbox: Any) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIGDICASH_", "LC_")) and k != "LANG"
    }
    env.update(
        LANG=LOCALES[language],
        LIGDICASH_API_KEY=sandbox.api_key,
        LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
        LIGDICASH_BASE_URL=sandbox.base_url,
    )
    return env


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_reconciliation_page_command_settles_the_recorded_payment_as_the_page_shows(
    language: str, sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.reset()
    page = (SITE / language / "reconciliation.md").read_text("utf-8")
    # The page's first block records a payment in its SQLite registry, run as the reader
    # would (in a working directory of its own, the account from the environment).
    env = _clean_env(language, sandbox)
    monkeypatch.chdir(tmp_path)
    for name in ("LIGDICASH_API_KEY", "LIGDICASH_AUTH_TOKEN", "LIGDICASH_BASE_URL"):
        monkeypatch.setenv(name, env[name])
    [recorder] = [
        b for b in _blocks(page, "python") if "invoice = client.Invoice(" in b and "store=" in b
    ]
    namespace: dict[str, Any] = {}
    exec(compile(recorder, f"{language}/reconciliation.md", "exec"), namespace)
    namespace["client"].close()
    namespace["store"].close()

    [command] = [c for c in _blocks(page, "bash") if c.startswith("ligdicash reconcile")]
    [shown] = [t for t in _blocks(page, "text") if "=" in t]
    run = _cli(*command.split()[1:], env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown
