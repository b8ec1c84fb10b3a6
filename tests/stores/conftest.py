"""The servers and stores the contract suite runs on: real PostgreSQL and Redis.

A session creates its own PostgreSQL database ``ligdicash_test_<random>`` and Redis key
prefix ``ligdicash-test-<random>:`` and removes both at the end. A missing server is a
FAILURE with the command that starts it, never a skip (``scripts/test.sh`` installs and
starts both on a fresh Debian machine).

Servers: ``LIGDICASH_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and ``LIGDICASH_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).

The Django backends need ``settings.configure`` with this app installed, which can happen
once per process, and other test modules configure Django their own way: so the Django
ORM runs of the suite happen in a child pytest (``test_store_django_orm.py``), which sets
``LIGDICASH_TEST_DJANGO`` to ``sqlite`` or ``postgresql``; this file then configures Django
at import and the suite's backends are that one.
"""

from __future__ import annotations

import itertools
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from ligdicash._stores import MemoryStore, Store

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import (
    BACKENDS,
    DJANGO_DB,
    DJANGO_PG_URL,
    DJANGO_SQLITE_PATH,
    PG_URL,
    REDIS_URL,
    Clock,
    StoreFactory,
    configure_django,
    drop_redis_prefix,
    with_database,
)

if DJANGO_DB:
    configure_django(DJANGO_DB, DJANGO_PG_URL, DJANGO_SQLITE_PATH)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _server_missing(what: str, url: str, exc: BaseException) -> None:
    pytest.fail(
        f"{what} is not reachable at {url} ({type(exc).__name__}: {exc}). The store tests "
        f"need real servers: run `bash scripts/test.sh` (installs and starts PostgreSQL and "
        f"Redis on Debian) or set LIGDICASH_TEST_PG_URL / LIGDICASH_TEST_REDIS_URL.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh database on the test server, dropped at the end of the session (in a Django
    child run: the parent's, which Django is configured with)."""
    import psycopg

    if DJANGO_PG_URL:
        yield DJANGO_PG_URL
        return

    name = f"ligdicash_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _server_missing("PostgreSQL", PG_URL, exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(PG_URL, name)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own on the test Redis, all its keys deleted at the end."""
    import redis

    prefix = f"ligdicash-test-{secrets.token_hex(4)}:"
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        _server_missing("Redis", REDIS_URL, exc)
        raise
    client.close()
    yield prefix
    drop_redis_prefix(prefix)


_counter = itertools.count()


def _pg_truncate(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE ligdicash_idempotency, ligdicash_inbox, ligdicash_payments")


def _django_flush() -> None:
    from ligdicash.contrib.django.models import IdempotencyKey, InboxMessage, TrackedPayment

    for model in (IdempotencyKey, InboxMessage, TrackedPayment):
        model.objects.all().delete()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Optional[str]:
    """A URL that names this test's empty store, shared by every process (None: memory)."""
    if backend == "memory":
        return None
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if backend == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        from ligdicash._stores._postgres import PostgresStore

        creator = PostgresStore(url)
        creator.get("create-the-tables")
        creator.close()
        _pg_truncate(url)
        return url
    if backend == "redis":
        prefix = request.getfixturevalue("redis_prefix") + f"{next(_counter)}:"
        return f"{REDIS_URL}?prefix={prefix}"
    _django_flush()
    return "django://default"


@pytest.fixture
def make_store(backend: str, store_url: Optional[str]) -> Iterator[StoreFactory]:
    """Open stores on this test's storage (``make_store(clock=...)``); closed at the end."""
    from ligdicash import open_store

    opened: list[Store] = []
    memory: list[MemoryStore] = []

    def make(**options: Any) -> Store:
        if store_url is None:
            if not memory:
                memory.append(MemoryStore(**options))
            return memory[0]
        opened.append(open_store(store_url, **options))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory, clock: Clock) -> Store:
    """This test's store on the backend, with the injectable clock."""
    return make_store(clock=clock)
