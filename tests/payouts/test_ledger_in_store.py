"""One store URL, one database: the callback store's tables and the payouts ledger's side by
side, each with its own schema version; a ledger opened from an open store shares its
connections; ``open_ledger`` takes the SQL URL forms ``open_store`` takes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ligdicash import ConfigurationError, InvalidRequestError, open_store
from ligdicash._stores import SCHEMA_VERSION as STORE_SCHEMA_VERSION
from ligdicash._stores import MemoryStore, Store
from ligdicash.payouts import WorkerIdentity, load_batch, open_ledger
from ligdicash.payouts._ledger_base import SCHEMA_VERSION as LEDGER_SCHEMA_VERSION

ROWS = [{"reference": "S1", "phone": "22670123456", "amount": 100}]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    url: str = request.getfixturevalue("own_pg_url")
    return url


def raw_execute(url: str, sql: str) -> None:
    """One statement on the database behind ``url``, without the ledger's checks."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        with conn:
            conn.execute(sql)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute(sql)


def versions(store: Store) -> dict[str, int]:
    ledger = open_ledger(store)
    try:
        with ledger._transaction() as cur:
            cur.execute("SELECT component, version FROM ligdicash_schema")
            return {str(c): int(v) for c, v in cur.fetchall()}
    finally:
        ledger.close()


def test_one_url_holds_the_store_and_the_ledger_each_with_its_version(store_url: str) -> None:
    store = open_store(store_url)
    ledger = open_ledger(store_url)
    try:
        assert store.claim("callback-1").acquired
        batch = load_batch(ROWS)
        assert ledger.add_batch(batch)
        assert ledger.claim(batch.id, WorkerIdentity()) is not None
        assert store.get("callback-1") is not None
        assert versions(store) == {
            "store": STORE_SCHEMA_VERSION,
            "payouts": LEDGER_SCHEMA_VERSION,
        }
    finally:
        ledger.close()
        store.close()


def test_a_ledger_opened_from_a_store_shares_its_database_and_pool(store_url: str) -> None:
    store = open_store(store_url)
    ledger = open_ledger(store)
    try:
        if store_url.startswith("sqlite"):
            assert ledger.path == store.path  # type: ignore[attr-defined]
        else:
            assert ledger.pool is store.pool  # type: ignore[attr-defined]
        batch = load_batch(ROWS)
        ledger.add_batch(batch)
        by_url = open_ledger(store_url)  # the same tables, through the URL
        assert by_url.batch_ids() == [batch.id]
        by_url.close()  # an unclosed pool's threads may be collected in one of them
        ledger.close()  # the pool is the store's: it still works
        assert store.claim("after-the-ledger").acquired
    finally:
        store.close()


def test_a_newer_ledger_layout_is_refused_and_the_store_is_left_alone(store_url: str) -> None:
    open_ledger(store_url).close()
    raw_execute(store_url, "UPDATE ligdicash_schema SET version = 99 WHERE component = 'payouts'")
    with pytest.raises(ConfigurationError, match="schema version 99"):
        open_ledger(store_url)
    store = open_store(store_url)
    try:
        assert store.claim("still-fine").acquired
        assert store.schema_version() == STORE_SCHEMA_VERSION  # type: ignore[attr-defined]
    finally:
        store.close()


def test_open_ledger_takes_the_store_url_forms(tmp_path: Path) -> None:
    spaced = tmp_path / "with space.db"
    ledger = open_ledger("SQLite:///" + str(spaced).replace(" ", "%20"))  # as open_store
    try:
        assert spaced.exists()
    finally:
        ledger.close()
    with pytest.raises(InvalidRequestError, match="file path"):
        open_ledger("sqlite:///")
    with pytest.raises(InvalidRequestError, match="scheme 'redis'"):
        open_ledger("redis://127.0.0.1:6379/0")
    with pytest.raises(InvalidRequestError, match="MemoryStore"):
        open_ledger(MemoryStore())
