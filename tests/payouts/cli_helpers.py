"""Running the real ``ligdicash`` command in a subprocess against the test's sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Optional

MAIN = "from ligdicash._cli import main; main()"


def sandbox_env(sb: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIGDICASH_")}
    env.update(
        LIGDICASH_API_KEY=sb.api_key,
        LIGDICASH_AUTH_TOKEN=sb.auth_token,
        LIGDICASH_BASE_URL=sb.base_url,
        COLUMNS="200",
    )
    return env


def cli(
    *args: str, env: dict[str, str], stdin: Optional[str] = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def popen(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MAIN, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
