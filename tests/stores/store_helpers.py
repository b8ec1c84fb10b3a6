"""Helpers shared by the store tests and their child processes (no fixtures here)."""

from __future__ import annotations

import os
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DJANGO_DB = os.environ.get("LIGDICASH_TEST_DJANGO", "")
DJANGO_PG_URL = os.environ.get("LIGDICASH_TEST_DJANGO_PG_URL", "")
DJANGO_SQLITE_PATH = os.environ.get("LIGDICASH_TEST_DJANGO_SQLITE", "")

#: The backends every contract test runs on, in this process.
BACKENDS = [f"django-{DJANGO_DB}"] if DJANGO_DB else ["memory", "sqlite", "postgresql", "redis"]
#: The backends shared between processes (memory is not).
SHARED_BACKENDS = [b for b in BACKENDS if b != "memory"]


def drop_redis_prefix(prefix: str) -> None:
    """Delete every key under ``prefix`` on the test Redis (a test run's own keys)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


#: ``make_store(**options)``: a store on this test's storage.
StoreFactory = Callable[..., Any]


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def django_databases(db: str, pg_url: str, sqlite_path: str) -> dict[str, Any]:
    """Django's ``DATABASES`` for a child run (also used by child processes)."""
    if db == "sqlite":
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": sqlite_path,
                "OPTIONS": {"timeout": 30},
            }
        }
    parts = urlsplit(pg_url)
    return {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "postgres",
            "PASSWORD": parts.password or "",
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
        }
    }


def configure_django(db: str, pg_url: str, sqlite_path: str, *, migrate: bool = True) -> None:
    """Configure Django with the ligdicash app and migrate (once per process)."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    if settings.configured:
        return
    settings.configure(
        INSTALLED_APPS=["ligdicash.contrib.django"],
        DATABASES=django_databases(db, pg_url, sqlite_path),
        USE_TZ=True,
    )
    django.setup()
    if migrate:
        call_command("migrate", "ligdicash", verbosity=0)


def close_django_connections() -> None:
    """A thread's Django connections, closed when it ends (no-op without Django)."""
    if DJANGO_DB:
        from django.db import connections

        connections.close_all()


def race_in_a_process(url: str, keys: list[str], barrier: Any, out: Any) -> None:
    """A child process: open the store by URL, then claim every key and lease inbox
    entries until none is left; report what it won."""
    if DJANGO_DB:
        configure_django(DJANGO_DB, DJANGO_PG_URL, DJANGO_SQLITE_PATH, migrate=False)
    from ligdicash import open_store

    store = open_store(url)
    barrier.wait()
    won = []
    for key in keys:
        claim = store.claim(key)
        if claim.acquired:
            won.append(key)
            store.complete(claim)
    leased = []
    while True:
        entry = store.inbox_claim_next(lease_seconds=300)
        if entry is None:
            break
        leased.append(entry.digest)
        store.inbox_finish(entry, outcome="processed")
    store.close()
    close_django_connections()
    out.put((won, leased))


class Clock:
    """An injectable clock: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
