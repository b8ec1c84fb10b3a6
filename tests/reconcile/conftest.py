"""Fixtures for the reconciliation tests: the sandbox, a store per test, a PostgreSQL database.

The PostgreSQL database is this session's own (``ligdicash_reconcile_<random>``), dropped at
the end, as in ``tests/stores/conftest.py``; a missing server is a failure, never a skip.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ligdicash
from ligdicash._stores import MemoryStore, Store
from ligdicash.sandbox import Sandbox
from wire_profiles import ligdicash_sandbox_server  # noqa: F401  (both wire profiles)

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "stores"))

from store_helpers import PG_URL, with_database


@pytest.fixture
def store() -> Iterator[Store]:
    s = MemoryStore()
    yield s
    s.close()


@pytest.fixture
def client(ligdicash_sandbox: Sandbox, store: Store) -> Iterator[ligdicash.Client]:
    """A client on the sandbox recording its payments in ``store``."""
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=0,
        timeout=2.0,
        store=store,
    ) as c:
        yield c


@pytest.fixture(scope="session")
def reconcile_pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped at the end."""
    import psycopg

    name = f"ligdicash_reconcile_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({exc}); run `bash scripts/test.sh` "
            "or set LIGDICASH_TEST_PG_URL",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(PG_URL, name)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
