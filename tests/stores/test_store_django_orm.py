"""The contract and concurrency suites on the Django store (the SQL stores' statements
through Django's connection, on the app's tables), on SQLite and PostgreSQL.

Django can be configured once per process and other test modules configure it their own
way, so each database gets a child pytest in which ``conftest.py`` configures Django with
the ``ligdicash`` app, migrates, and makes ``django-<db>`` the suite's only backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# The fault tests that apply to Django's connections: killed on PostgreSQL.
SUITES = {
    "sqlite": ["test_store_contract.py", "test_store_races.py", "test_inbox_retention.py"],
    "postgresql": [
        "test_store_contract.py",
        "test_inbox_retention.py",
        "test_store_races.py",
        "test_store_faults.py",
        "-k",
        "not store_faults or postgres",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_store_suites_pass_on_the_django_orm(db: str, pg_url: str, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        LIGDICASH_TEST_DJANGO=db,
        LIGDICASH_TEST_DJANGO_PG_URL=pg_url,
        LIGDICASH_TEST_DJANGO_SQLITE=str(tmp_path / "django.sqlite3"),
    )
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
        + [str(HERE / arg) if arg.endswith(".py") else arg for arg in SUITES[db]],
        env=env,
        cwd=HERE.parent.parent,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tail = "\n".join((child.stdout + child.stderr).splitlines()[-60:])
    assert child.returncode == 0, f"the Django ({db}) store suites failed:\n{tail}"
    assert " passed" in child.stdout, tail
    assert " skipped" not in child.stdout, tail
