"""``ligdicash inbox counts`` and ``ligdicash inbox purge`` (issue 17, item 7): the real command
in a subprocess, on a real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ligdicash


def run(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIGDICASH_")}
    return subprocess.run(
        [sys.executable, "-m", "ligdicash._cli", "inbox", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "LIGDICASH_LANG": "en"},
    )


def test_purge_deletes_finished_entries_older_than_asked_and_nothing_else(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    ten_days_ago = time.time() - 10 * 86_400
    old = ligdicash.open_store(url, clock=lambda: ten_days_ago)
    for n in range(3):
        entry = old.inbox_put(b'{"n": %d}' % n, "application/json")
        claim = old.inbox_claim(entry.digest, lease_seconds=30)
        assert claim is not None
        assert old.inbox_finish(claim, outcome="processed")
    old.inbox_put(b'{"waiting": 1}', "application/json")  # unfinished: never purged
    old.close()
    store = ligdicash.open_store(url)
    entry = store.inbox_put(b'{"recent": 1}', "application/json")
    claim = store.inbox_claim(entry.digest, lease_seconds=30)
    assert claim is not None
    assert store.inbox_finish(claim, outcome="processed")
    store.close()

    counts = run("counts", "--store", url, "--json")
    assert json.loads(counts.stdout) == {"pending": 1, "processing": 0, "done": 4}
    purged = run("purge", "--store", url, "--older-than", "7d", "--json")
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout) == {"purged": 3, "older_than": 7 * 86_400.0}
    counts = run("counts", "--store", url)
    assert counts.stdout.strip() == "pending=1 processing=0 done=1"


def test_a_bad_duration_is_a_usage_error(tmp_path: Path) -> None:
    done = run("purge", "--store", f"sqlite:///{tmp_path / 's.sqlite3'}", "--older-than", "a week")
    assert done.returncode == 2
    assert "7d" in done.stderr
