"""The contrib package is optional: no framework loads by accident, a missing one says why."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_the_contrib_toolkit_loads_no_web_framework() -> None:
    out = run(
        "import sys, ligdicash.contrib; frameworks = ('django', 'flask', 'fastapi', 'starlette'); "
        "print(','.join(m for m in frameworks if m in sys.modules))"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("module", "framework", "extra"),
    [
        ("ligdicash.contrib.django", "django", "django"),
        ("ligdicash.contrib.flask", "flask", "flask"),
        ("ligdicash.contrib.fastapi", "fastapi", "fastapi"),
    ],
)
def test_an_integration_without_its_framework_says_which_extra_to_install(
    module: str, framework: str, extra: str
) -> None:
    out = run(f"import sys; sys.modules[{framework!r}] = None; import {module}")
    assert out.returncode != 0
    assert f"pip install 'ligdicash[{extra}]'" in out.stderr.splitlines()[-1]
