"""What the durable tests share: the servers' URLs, a fresh PostgreSQL database, Django's
``DATABASES`` for a child process, and waiting on a condition with a deadline."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def fresh_database(prefix: str = "ligdicash_durable") -> Iterator[str]:
    """A new database on the test server (its URL), dropped afterwards."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(PG_URL)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_redis_prefix(prefix: str) -> None:
    """Delete every key under ``prefix``."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def django_databases(url: str) -> dict[str, Any]:
    """Django's ``DATABASES`` for a ``sqlite:///path`` or ``postgresql://`` URL."""
    if url.startswith("sqlite:///"):
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": url[len("sqlite:///") :],
                "OPTIONS": {"timeout": 30},
            }
        }
    import django

    parts = urlsplit(url)
    database: dict[str, Any] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
    }
    if os.environ.get("HOST_DJANGO_POOL") == "1" and django.VERSION >= (5, 1):
        # benchmarks/callbacks_e2e.py: a pool, as a production project has one (this,
        # CONN_MAX_AGE or pgbouncer). The callback threads close their connections after
        # each callback and the test server runs each request in a new thread, so without
        # one every request and every callback opens a PostgreSQL connection, where the
        # PostgreSQL store (with its own pool) opens none. Not for the reconcilers: their
        # threads keep their connections, and ten of them exhaust a pool of ten.
        database["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 10}}
    return {"default": database}
