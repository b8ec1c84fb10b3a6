"""Fixtures for the payout tests: a ledger file, a client on the session's sandbox."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ligdicash import Client
from ligdicash.payouts import Ledger, open_ledger
from wire_profiles import ligdicash_sandbox_server  # noqa: F401  (both wire profiles)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield opened
    opened.close()


@pytest.fixture
def sb_client(ligdicash_sandbox: Any) -> Iterator[Client]:
    with Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=0,
    ) as client:
        yield client


ADMIN_PG_URL = os.environ.get("LIGDICASH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database ``<prefix>_<random>`` (its URL), dropped afterwards even
    if a test left it refusing connections."""
    import psycopg  # a dev dependency: a missing driver or server fails, never skips

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN_PG_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database ``ligdicash_payouts_<random>``, dropped afterwards."""
    with new_pg_database("ligdicash_payouts") as url:
        yield url


@pytest.fixture
def own_pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (it may switch it off), dropped afterwards."""
    with new_pg_database("ligdicash_payouts_own") as url:
        yield url
