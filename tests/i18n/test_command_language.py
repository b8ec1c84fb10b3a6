"""``ligdicash sandbox``, ``ligdicash demo`` and ``ligdicash reconcile``, run for real in a
subprocess, speak ``--lang``, else ``LIGDICASH_LANG``, else the locale; ``ligdicash sandbox``
also makes that language the default of its pages (a browser's ``Accept-Language`` or a
``?lang=`` still wins)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest

import ligdicash
from ligdicash.sandbox import Sandbox, SandboxConfig

MAIN = "from ligdicash._cli import main; main()"


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIGDICASH_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")
    }
    env.update(extra)
    return env


class RunningSandbox:
    """``ligdicash sandbox --port 0`` in a subprocess; its stdout read by a thread, so the
    test waits on lines (with a deadline), never on a sleep."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", MAIN, "sandbox", "--port", "0", "--fast", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**env, "COLUMNS": "200"},
        )
        self.lines: queue.Queue[Optional[str]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.banner: list[str] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, needle: str, timeout: float = 30.0) -> list[str]:
        """The lines printed up to and including the first that contains ``needle``."""
        seen: list[str] = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"the sandbox exited before {needle!r}: {seen}")
            seen.append(line)
            if needle in line:
                return seen

    def started(self, last_line: str) -> str:
        """Wait for the banner's last line; return the sandbox's root URL."""
        self.banner = self.read_until(last_line)
        [url] = {m for line in self.banner for m in re.findall(r"http://127\.0\.0\.1:\d+", line)}
        return url

    def stop(self, last_line: str) -> list[str]:
        """SIGINT (Ctrl+C), then the lines up to ``last_line``."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.read_until(last_line)
        finally:
            self.process.wait(timeout=30)

    def close(self) -> None:
        """Kill it if it still runs, and release its pipe."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def run_sandbox() -> Iterator[Any]:
    started: list[RunningSandbox] = []

    def start(*args: str, env: dict[str, str]) -> RunningSandbox:
        running = RunningSandbox(*args, env=env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


def _heading(url: str, query: str = "", **headers: str) -> str:
    with httpx.Client(trust_env=False, timeout=10) as client:
        page = client.get(url + "/_sandbox/" + query, headers=headers)
    match = re.search(r"<h1>(.*?)</h1>", page.text)
    assert match is not None, page.text
    return match.group(1)


FR_BANNER = ("Sandbox LigdiCash en marche", "Ctrl+C pour arrêter.", "Sandbox arrêté.")
EN_BANNER = ("LigdiCash sandbox running", "Press Ctrl+C to stop.", "Sandbox stopped.")


@pytest.mark.parametrize(
    ("args", "env", "words", "heading"),
    [
        (("--lang", "fr"), {"LANG": "en_US.UTF-8"}, FR_BANNER, "Sandbox LigdiCash"),
        (("--lang", "en"), {"LANG": "fr_FR.UTF-8"}, EN_BANNER, "LigdiCash sandbox"),
        ((), {"LANG": "fr_SN.UTF-8"}, FR_BANNER, "Sandbox LigdiCash"),
        ((), {"LANG": "C.UTF-8"}, EN_BANNER, "LigdiCash sandbox"),
        ((), {"LANG": "en_US.UTF-8", "LIGDICASH_LANG": "fr"}, FR_BANNER, "Sandbox LigdiCash"),
    ],
)
def test_the_sandbox_command_speaks_its_language_and_its_pages_default_to_it(
    run_sandbox: Any, args: tuple[str, ...], env: dict[str, str], words: Any, heading: str
) -> None:
    running, stop_hint, stopped = words
    sandbox = run_sandbox(*args, env=_env(**env))
    url = sandbox.started(stop_hint)
    assert any(running in line for line in sandbox.banner), sandbox.banner
    # No Accept-Language: the command's language. The browser's choice still wins.
    assert _heading(url) == heading
    assert _heading(url, **{"Accept-Language": "en-US"}) == "LigdiCash sandbox"
    assert _heading(url, **{"Accept-Language": "fr-FR,fr;q=0.9"}) == "Sandbox LigdiCash"
    assert sandbox.stop(stopped)[-1] == stopped


def test_a_sandbox_that_cannot_listen_says_so_in_the_command_language(run_sandbox: Any) -> None:
    with Sandbox(SandboxConfig.fast()) as taken:
        port = taken.url.rsplit(":", 1)[1]
        for lang, expected in (("fr", "impossible d'écouter sur"), ("en", "cannot listen on")):
            result = subprocess.run(
                [sys.executable, "-c", MAIN, "sandbox", "--port", port, "--lang", lang],
                capture_output=True,
                text=True,
                env=_env(LANG="C.UTF-8"),
                timeout=60,
                check=False,
            )
            assert result.returncode == 1
            assert result.stderr.startswith(f"ligdicash: {expected} 127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("args", "env", "expected", "absent"),
    [
        (
            ("--lang", "fr"),
            {"LANG": "en_US.UTF-8"},
            [
                "1. Paiement hébergé",
                "2. Paiement direct",
                "3. Transfert client",
                "Toutes les étapes ont réussi.",
            ],
            "Hosted payin",
        ),
        (
            (),
            {"LANG": "en_US.UTF-8"},
            ["1. Hosted payin", "2. Direct payin", "3. Client payout", "All steps succeeded."],
            "Paiement",
        ),
    ],
)
def test_the_demo_runs_in_the_command_language(
    args: tuple[str, ...], env: dict[str, str], expected: list[str], absent: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", MAIN, "demo", *args],
        capture_output=True,
        text=True,
        env=_env(COLUMNS="300", **env),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for words in expected:
        assert words in result.stdout, result.stdout
    assert absent not in result.stdout


def _record_one_payment(sandbox: Sandbox, store_url: str, reference: str) -> None:
    with ligdicash.Client(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        store=store_url,
    ) as client:
        invoice = client.Invoice(description=f"Commande {reference}")
        invoice.add_item(name="Savon", description="", quantity=2, unit_price=750)
        invoice.pay_without_redirection(
            otp="123456", customer="22670123456", custom_data={"transaction_id": reference}
        )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ("--lang", "fr"),
            {"LANG": "en_US.UTF-8"},
            "réservés=1 interrogés=1 réglés=1 en_attente=0 expirés=0 en_doute=0 erreurs=0",
        ),
        (
            (),
            {"LANG": "en_US.UTF-8", "LIGDICASH_LANG": "fr"},
            "réservés=1 interrogés=1 réglés=1 en_attente=0 expirés=0 en_doute=0 erreurs=0",
        ),
        (
            ("--lang", "en"),
            {"LANG": "fr_FR.UTF-8"},
            "claimed=1 polled=1 settled=1 pending=0 expired=0 in_doubt=0 errors=0",
        ),
    ],
)
def test_a_reconcile_round_is_reported_in_the_command_language(
    ligdicash_sandbox: Sandbox,
    tmp_path: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    expected: str,
) -> None:
    store_url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    _record_one_payment(ligdicash_sandbox, store_url, "ORD-LANG-1")
    environment = _env(
        LIGDICASH_API_KEY=ligdicash_sandbox.api_key,
        LIGDICASH_AUTH_TOKEN=ligdicash_sandbox.auth_token,
        LIGDICASH_BASE_URL=ligdicash_sandbox.base_url,
        **env,
    )
    command = [sys.executable, "-c", MAIN, "reconcile", "--store", store_url, "--once"]
    command += ["--schedule", "0", *args]
    result = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    # --json is for machines: the same English keys whatever the language.
    again = subprocess.run(
        [*command, "--json"], capture_output=True, text=True, env=environment, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().startswith('{"claimed": 0, "errors": 0')


def test_an_in_process_sandbox_in_french_serves_french_pages_by_default() -> None:
    with Sandbox(SandboxConfig.fast(language="fr")) as french:
        assert _heading(french.url) == "Sandbox LigdiCash"
        assert _heading(french.url, "?lang=en") == "LigdiCash sandbox"
    with pytest.raises(ValueError, match="language"):
        SandboxConfig(language="de")  # type: ignore[arg-type]
