"""A missing extra gives a one-line install hint, not a bare ModuleNotFoundError."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = "import sys\nfor m in {blocked!r}: sys.modules[m] = None\n"


def run_blocked(blocked: list[str], code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCK.format(blocked=blocked) + code
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


@pytest.mark.parametrize("name", ["Sandbox", "create_app"])
def test_the_sandbox_without_its_extra_says_how_to_install_it(name: str) -> None:
    out = run_blocked(["uvicorn", "starlette"], f"from ligdicash.sandbox import {name}")
    assert out.returncode != 0
    assert "pip install 'ligdicash[sandbox]'" in out.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("module", "framework", "extra"),
    [
        ("flask", "flask", "flask"),
        ("fastapi", "fastapi", "fastapi"),
        ("django", "django", "django"),
    ],
)
def test_framework_integrations_without_their_extra_say_how_to_install_it(
    module: str, framework: str, extra: str
) -> None:
    out = run_blocked([framework], f"import ligdicash.contrib.{module}")
    assert out.returncode != 0
    assert f"pip install 'ligdicash[{extra}]'" in out.stderr.strip().splitlines()[-1]


def test_the_core_works_without_any_extra() -> None:
    out = run_blocked(
        ["uvicorn", "starlette", "click", "rich", "flask", "django", "fastapi"],
        "import ligdicash; c = ligdicash.Client(api_key='k', auth_token='t'); print(c)",
    )
    assert out.returncode == 0, out.stderr
    assert "ligdicash.Client platform='live'" in out.stdout
