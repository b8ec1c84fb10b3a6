"""``python manage.py ligdicash_inbox_purge`` (issue 17, item 7) in a child process (Django is
configured once per process): it purges the view's processor's store, finished entries
only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ligdicash

MANAGE = """
import os, sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["ligdicash.contrib.django"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}},
    LIGDICASH_API_KEY="key",
    LIGDICASH_AUTH_TOKEN="token",
    LIGDICASH_CALLBACK_LOOKUP="shop.lookup",
    LIGDICASH_CALLBACK_HANDLER="shop.deliver",
    LIGDICASH_IDEMPOTENCY_STORE="shop.store",
)
django.setup()
from django.core.management import call_command

call_command("ligdicash_inbox_purge", *sys.argv[1:])
"""

SHOP = """
import os

import ligdicash

_store = None


def store():
    global _store
    if _store is None:
        _store = ligdicash.open_store(os.environ["SHOP_STORE_URL"])
    return _store


def lookup(callback):
    return None


def deliver(transaction):
    pass
"""


def test_the_command_purges_the_views_store(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text(MANAGE)
    (tmp_path / "shop.py").write_text(SHOP)
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    two_days_ago = time.time() - 2 * 86_400
    store = ligdicash.open_store(url, clock=lambda: two_days_ago)
    try:
        for n in range(2):
            entry = store.inbox_put(b'{"n": %d}' % n, "application/json")
            claim = store.inbox_claim(entry.digest, lease_seconds=30)
            assert claim is not None
            assert store.inbox_finish(claim, outcome="processed")
        store.inbox_put(b'{"waiting": 1}', "application/json")
    finally:
        store.close()

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(tmp_path / "manage.py"), *args],
            cwd=tmp_path,
            env={**os.environ, "SHOP_STORE_URL": url, "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    kept = manage("--json")  # the default 7 days: nothing old enough
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout)["purged"] == 0
    purged = manage("--older-than", "1d", "--json")
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout) == {"purged": 2, "older_than": 86_400.0}
    bad = manage("--older-than", "soon")
    assert bad.returncode != 0
    assert "7d" in bad.stderr
    store = ligdicash.open_store(url)
    try:
        assert store.inbox_counts() == {"pending": 1, "processing": 0, "done": 0}
    finally:
        store.close()
