"""With the Django ORM store, the handler's writes and the "done" mark commit together.

Django is configured once per process, so each database runs in a child process
(``_django_atomic_child.py``): a handler that writes then raises leaves no write and a
claimable key; a handler whose claim was taken over while it ran is rolled back; a handler
that returns commits its write with ``done``, and a later copy is a duplicate.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from durable_helpers import fresh_database

HERE = Path(__file__).parent


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.sqlite3'}"
        return
    with fresh_database() as url:
        yield url


def test_the_handler_and_the_done_mark_commit_together_or_not_at_all(database_url: str) -> None:
    child = subprocess.run(
        [sys.executable, str(HERE / "_django_atomic_child.py"), database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    seen = json.loads(child.stdout.strip().splitlines()[-1])
    assert seen["raise"] == ["failed", 0, "failed"]  # the write was rolled back
    assert seen["taken_over"] == ["unconfirmed", 0, "processing"]  # rolled back; theirs now
    assert seen["ok"] == ["processed", 1, "done"]
    assert seen["again"] == ["duplicate", 1]
