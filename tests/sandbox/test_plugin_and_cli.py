"""The pytest fixture, the ``ligdicash sandbox`` command and the ``ligdicash demo`` command."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from ligdicash._cli import _demo, build_cli
from ligdicash.sandbox import Sandbox

USER_SUITE = """
import httpx


def test_the_fixture_is_a_running_sandbox(ligdicash_sandbox):
    response = httpx.get(
        ligdicash_sandbox.base_url + "redirect/checkout-invoice/confirm/",
        params={"invoiceToken": "x"},
        headers=ligdicash_sandbox.auth_headers,
    )
    assert response.json()["response_text"] == "Echec (Code02)"
    ligdicash_sandbox.set_balance(1)


def test_each_test_starts_from_a_clean_sandbox(ligdicash_sandbox):
    assert ligdicash_sandbox.balance() == 10_000_000


def test_the_sdk_fixture_points_ligdicash_at_the_sandbox(ligdicash_sdk, ligdicash_sandbox):
    assert ligdicash_sdk.base_url == ligdicash_sandbox.base_url
    assert ligdicash_sdk.api_key == ligdicash_sandbox.api_key
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def test_a_users_suite_gets_a_running_sandbox_from_one_fixture(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_SUITE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_loading_the_plugin_imports_no_server_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ligdicash.sandbox.pytest_plugin
        print(sorted(m for m in ("starlette", "uvicorn", "sqlite3") if m in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def _read_lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_the_sandbox_command_prints_its_base_url_and_credentials_and_serves() -> None:
    command = [
        sys.executable,
        "-c",
        "from ligdicash._cli import main; main()",
        "sandbox",
        "--port",
        "0",
        "--api-key",
        "cli_key",
        "--auth-token",
        "cli_token",
        "--platform",
        "test",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env()
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        printed: dict[str, str] = {}
        while "auth_token" not in printed:
            line = lines.get(timeout=20)
            key, _, value = line.strip().partition(": ")
            if value:
                printed[key] = value.strip()
        assert (printed["api_key"], printed["auth_token"]) == ("cli_key", "cli_token")
        base_url = printed["base_url"]
        assert base_url.endswith("/pay/v01/")
        headers = {"Apikey": "cli_key", "Authorization": "Bearer cli_token"}
        answer = httpx.get(
            base_url + "withdrawal/confirm/", params={"withdrawalToken": "x"}, headers=headers
        ).json()
        assert answer["response_text"] == "Echec (Code02)"
        assert answer["wiki"].startswith("https://")
    finally:
        process.terminate()
        code = process.wait(timeout=20)
        reader.join(timeout=5)
        process.stdout.close()
    assert code == 0


def test_without_the_cli_extra_the_command_prints_the_install_hint() -> None:
    code = "import sys; sys.modules['click'] = None; from ligdicash._cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "sandbox"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "pip install 'ligdicash[cli,sandbox]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_cli_offers_the_sandbox_and_demo_commands() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(build_cli(), ["--help"])
    assert result.exit_code == 0
    assert "sandbox" in result.output
    assert "demo" in result.output


def test_the_demo_runs_every_flow_and_exits_zero() -> None:
    import ligdicash

    said: list[str] = []
    assert _demo.run(lambda *parts, **_: said.append(" ".join(map(str, parts)))) == 0
    text = "\n".join(said)
    assert "Hosted payin" in text
    assert "Direct payin" in text
    assert "Client payout" in text
    assert "LigdiCash Wallet payin" in text
    assert "All steps succeeded" in text
    assert ligdicash.base_url is None  # the demo restores the SDK settings


def test_the_demo_exits_non_zero_when_a_step_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stuck:
        status = "pending"
        operator_name = ""
        amount = 0
        is_final = False

    monkeypatch.setattr(_demo, "_poll", lambda *args, **kwargs: Stuck())
    said: list[Any] = []
    assert _demo.run(lambda *parts, **_: said.append(parts)) == 1
    assert "demo failed" in str(said[-1])


def test_a_sandbox_reports_whether_it_runs() -> None:
    sandbox = Sandbox()
    assert not sandbox.running
    with pytest.raises(RuntimeError):
        _ = sandbox.base_url
    with sandbox:
        assert sandbox.running
        assert repr(sandbox).startswith("<Sandbox http://127.0.0.1:")
    assert not sandbox.running
