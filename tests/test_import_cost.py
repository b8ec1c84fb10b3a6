"""``import ligdicash`` stays cheap: what it loads is checked in a fresh interpreter.

The clients load httpx on first use (PEP 562), and ``_config`` imports ``logging``,
``ipaddress`` and ``urllib.parse`` only where they are used. The time itself is measured by
``benchmarks/run.py`` (table (c)), never here.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import ligdicash

# Measured as what ``import ligdicash`` adds to sys.modules, so an interpreter whose startup
# already loaded one of them (a sitecustomize) cannot fail the test.
CODE = (
    "import sys; before = set(sys.modules); import ligdicash; "
    "added = set(sys.modules) - before; "
    "print(','.join(m for m in {names!r} if m in added))"
)


@pytest.mark.parametrize("module", ["httpx", "logging", "ipaddress", "urllib.parse"])
def test_importing_ligdicash_does_not_load(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(names=(module,))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""


def test_the_plain_http_warning_still_reaches_the_ligdicash_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The logger is looked up when the warning is given, not at import: same logger.
    host = "sandbox-import-cost-test"
    with caplog.at_level(logging.WARNING, logger="ligdicash"):
        client = ligdicash.Client(
            api_key="k", auth_token="t", base_url=f"http://{host}/", allow_http_hosts=host
        )
        client.close()
    assert [r.name for r in caplog.records if host in r.getMessage()] == ["ligdicash"]
