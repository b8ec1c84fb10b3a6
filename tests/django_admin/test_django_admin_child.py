"""The admin tests (``test_admin_*.py``) in a child pytest per database: Django can be
configured once per process, and other test modules configure it their own way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_admin_tests_pass_on(db: str, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        LIGDICASH_TEST_DJANGO_ADMIN=db,
        LIGDICASH_TEST_DJANGO_ADMIN_SQLITE=str(tmp_path / "admin.sqlite3"),
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE)]
    child = subprocess.run(
        [*command, "-p", "no:randomly"],
        env=env,
        cwd=HERE.parent.parent,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tail = "\n".join((child.stdout + child.stderr).splitlines()[-60:])
    assert child.returncode == 0, f"the Django admin tests ({db}) failed:\n{tail}"
    assert " passed" in child.stdout, tail
    assert " skipped" not in child.stdout, tail
