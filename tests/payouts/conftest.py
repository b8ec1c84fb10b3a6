"""Fixtures for the payout tests: a ledger file, a client on the session's sandbox."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ligdicash import Client
from ligdicash.payouts import Ledger, open_ledger


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


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database ``ligdicash_payouts_<random>``, dropped afterwards."""
    import psycopg  # a dev dependency: a missing driver or server fails, never skips

    base = os.environ.get("LIGDICASH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"ligdicash_payouts_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
