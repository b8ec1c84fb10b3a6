"""``python manage.py ligdicash_reconcile`` in a child process (Django is configured once per
process, and other test modules configure it their own way), against the real sandbox.

The child's settings name a lookup read from the registry and a claim store that is the
same SQLite file, as a project would; the command runs the payments through
``get_processor()``, the callback view's own processor: handler and signal once each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reconcile_helpers import pay

import ligdicash
from ligdicash.sandbox import Sandbox

SHOP = """
import os

import ligdicash

URL = os.environ["SHOP_STORE_URL"]
_store = None


def store():
    global _store
    if _store is None:
        _store = ligdicash.open_store(URL)
    return _store


def lookup(callback):
    return ligdicash.registry_lookup(store())(callback)


def deliver(transaction):
    with open(os.environ["HANDLED_FILE"], "a") as out:
        out.write("handler " + transaction.custom_data["transaction_id"] + "\\n")
"""

MANAGE = """
import os, sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["ligdicash.contrib.django"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}},
    LIGDICASH_API_KEY=os.environ["SB_KEY"],
    LIGDICASH_AUTH_TOKEN=os.environ["SB_TOKEN"],
    LIGDICASH_BASE_URL=os.environ["SB_URL"],
    LIGDICASH_CALLBACK_LOOKUP="shop.lookup",
    LIGDICASH_CALLBACK_HANDLER="shop.deliver",
    LIGDICASH_IDEMPOTENCY_STORE="shop.store",
    LIGDICASH_STORE_URL=os.environ["SHOP_STORE_URL"],
)
django.setup()

from ligdicash.contrib.django import transaction_confirmed


def signal(sender, transaction, **kwargs):
    with open(os.environ["HANDLED_FILE"], "a") as out:
        out.write("signal " + transaction.custom_data["transaction_id"] + "\\n")


transaction_confirmed.connect(signal)
from django.core.management import call_command

call_command("ligdicash_reconcile", *sys.argv[1:])
"""


def _manage(sb: Sandbox, tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SB_KEY": sb.api_key,
        "SB_TOKEN": sb.auth_token,
        "SB_URL": sb.base_url,
        "SHOP_STORE_URL": url,
        "HANDLED_FILE": str(tmp_path / "handled.txt"),
        "PYTHONPATH": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_management_command_runs_the_views_processor_once_per_payment(
    ligdicash_sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "shop.py").write_text(SHOP)
    (tmp_path / "manage.py").write_text(MANAGE)
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    store = ligdicash.open_store(url)
    sb = ligdicash_sandbox
    try:
        with ligdicash.Client(
            api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, store=store
        ) as client:
            tokens = [pay(client, f"DJ-{i}") for i in range(3)]
    finally:
        store.close()
    sb.set_status(tokens[0], "completed")
    sb.set_status(tokens[1], "completed")

    # The default schedule waits a minute before the first poll: nothing is due yet.
    first = _manage(sb, tmp_path, url, "--once", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["claimed"] == 0

    again = _manage(sb, tmp_path, url, "--once", "--json", "--schedule", "0,60", "--lease", "30")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["polled"], summary["settled"], summary["pending"]) == (3, 2, 1)
    third = _manage(sb, tmp_path, url, "--once", "--schedule", "0,60")
    assert third.returncode == 0, third.stderr
    assert "claimed=0" in third.stdout
    lines = sorted((tmp_path / "handled.txt").read_text().splitlines())
    assert lines == ["handler DJ-0", "handler DJ-1", "signal DJ-0", "signal DJ-1"]
