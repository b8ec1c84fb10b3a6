"""``ligdicash reconcile``: the real command in a subprocess, against the real sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reconcile_helpers import pay

import ligdicash
from ligdicash.sandbox import Sandbox

HANDLER = """
import os

def deliver(transaction):
    with open(os.environ["HANDLED_FILE"], "a") as out:
        out.write(transaction.custom_data["transaction_id"] + "\\n")
"""


def _run(sb: Sandbox, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "LIGDICASH_API_KEY": sb.api_key,
        "LIGDICASH_AUTH_TOKEN": sb.auth_token,
        "LIGDICASH_BASE_URL": sb.base_url,
        "HANDLED_FILE": str(tmp_path / "handled.txt"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "ligdicash._cli", "reconcile", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=environment,
    )


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.sqlite3'}"


def _create(sb: Sandbox, url: str, refs: list[str]) -> list[str]:
    store = ligdicash.open_store(url)
    try:
        with ligdicash.Client(
            api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, store=store
        ) as client:
            return [pay(client, ref) for ref in refs]
    finally:
        store.close()


def test_once_with_a_handler_settles_each_final_payment_once_and_prints_json(
    ligdicash_sandbox: Sandbox, tmp_path: Path, store_url: str
) -> None:
    (tmp_path / "shop_handlers.py").write_text(HANDLER)
    tokens = _create(ligdicash_sandbox, store_url, ["C-1", "C-2", "C-3"])
    ligdicash_sandbox.set_status(tokens[0], "completed")
    ligdicash_sandbox.set_status(tokens[1], "completed")
    args = ("--store", store_url, "--handler", "shop_handlers:deliver", "--schedule", "0,60")
    first = _run(ligdicash_sandbox, tmp_path, *args, "--once", "--json")
    assert first.returncode == 0, first.stderr
    summary: dict[str, Any] = json.loads(first.stdout)
    assert (summary["polled"], summary["settled"], summary["pending"]) == (3, 2, 1)
    again = _run(ligdicash_sandbox, tmp_path, *args, "--once")
    assert again.returncode == 0, again.stderr
    assert "claimed=0" in again.stdout  # the pending one waits 60 s; the others are done
    assert sorted((tmp_path / "handled.txt").read_text().split()) == ["C-1", "C-2"]


def test_the_store_comes_from_the_environment_too(
    ligdicash_sandbox: Sandbox, tmp_path: Path, store_url: str
) -> None:
    _create(ligdicash_sandbox, store_url, ["E-1"])
    done = _run(
        ligdicash_sandbox,
        tmp_path,
        "--once",
        "--json",
        "--schedule",
        "0",
        LIGDICASH_STORE_URL=store_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pending"] == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--handler", "nowhere_module:deliver"), "cannot import handler"),
        (("--handler", "no-colon"), "module:function"),
        (("--schedule", "soon"), "comma-separated"),
        (("--schedule", "1"), "at least 3 s"),
    ],
)
def test_bad_options_fail_with_one_line(
    ligdicash_sandbox: Sandbox,
    tmp_path: Path,
    store_url: str,
    args: tuple[str, ...],
    words: str,
) -> None:
    env = {"LIGDICASH_BASE_URL": ""} if words == "at least 3 s" else {}
    result = _run(ligdicash_sandbox, tmp_path, "--store", store_url, "--once", *args, **env)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_store_that_is_down_fails_the_round_with_status_3(
    ligdicash_sandbox: Sandbox, tmp_path: Path
) -> None:
    url = "redis://127.0.0.1:1/0"
    result = _run(ligdicash_sandbox, tmp_path, "--store", url, "--once")
    # 3, the documented status of a store or network that is down (1 is a refusal).
    assert result.returncode == 3, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ligdicash: ")
    assert "unavailable" in last
    assert "Traceback" not in result.stderr


CRASHING_HANDLER = """
import os

def deliver(transaction):
    os._exit(9)  # the worker dies mid-round, holding the lease on its payments
"""


@pytest.mark.parametrize(("lease", "seconds"), [(("--lease", "7"), 7.0), ((), 300.0)])
def test_lease_says_how_long_a_crashed_round_holds_its_payments(
    ligdicash_sandbox: Sandbox,
    tmp_path: Path,
    store_url: str,
    lease: tuple[str, ...],
    seconds: float,
) -> None:
    import time

    (tmp_path / "crashy.py").write_text(CRASHING_HANDLER)
    [token] = _create(ligdicash_sandbox, store_url, ["L-1"])
    ligdicash_sandbox.set_status(token, "completed")
    started = time.time()
    args = ("--store", store_url, "--handler", "crashy:deliver", "--schedule", "0", "--once")
    crashed = _run(ligdicash_sandbox, tmp_path, *args, *lease)
    ended = time.time()
    assert crashed.returncode == 9, crashed.stderr
    store = ligdicash.open_store(store_url)
    try:
        record = store.get_payment("L-1")
    finally:
        store.close()
    assert record is not None
    # held from the claim (made by the child, between `started` and `ended`, however slow
    # its start) for the lease: 7 s with --lease 7, else the default 300 s
    assert started + seconds <= record.lease_until <= ended + seconds
