"""The store going away mid-run: a clear StoreUnavailableError, nothing half-done, and the
next call works again. Simulated faithfully on the real servers: PostgreSQL backends are
terminated (``pg_terminate_backend``), Redis clients killed (``CLIENT KILL``), SQLite held
locked past the timeout; plus servers that are not there at all. Secrets in store URLs
never show in an error, a repr or a traceback."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from store_helpers import BACKENDS, REDIS_URL, StoreFactory, close_django_connections

from ligdicash import StoreUnavailableError, open_store
from ligdicash._stores import Store

PG_BACKENDS = [b for b in BACKENDS if b in ("postgresql", "django-postgresql")]


def wait_until(condition: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    """Poll ``condition`` until true; fail after ``deadline`` seconds (no fixed sleeps)."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def recovers(call: Callable[[], Any]) -> Any:
    """Call until it works: only StoreUnavailableError is allowed, and at most twice."""
    for _ in range(3):
        try:
            return call()
        except StoreUnavailableError:
            continue
    pytest.fail("the store did not recover after its connections were killed")


def a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(not PG_BACKENDS, reason="no PostgreSQL backend in this run")
@pytest.mark.parametrize("backend", PG_BACKENDS or ["none"], indirect=True)
def test_a_postgres_connection_killed_mid_statement_gives_a_clear_error_then_recovers(
    store_url: Optional[str], make_store: StoreFactory, pg_url: str
) -> None:
    import psycopg

    store: Store = make_store()
    first = store.claim("held-key", lease_seconds=300)
    assert store.release(first, note="timeout")  # claimable again: the next claim writes
    dbname = pg_url.rsplit("/", 1)[1]
    table = "ligdicash_django_idempotency" if store_url == "django://default" else None
    table = table or "ligdicash_idempotency"
    outcome: list[BaseException | str] = []

    # The observer is not the lock holder: inside a transaction pg_stat_activity is frozen.
    with (
        psycopg.connect(pg_url, autocommit=True) as holder,
        psycopg.connect(pg_url, autocommit=True) as admin,
    ):
        # hold the row's lock so the store's next statement waits inside the server...
        holder.execute("BEGIN")
        holder.execute(f"SELECT 1 FROM {table} WHERE key = 'held-key' FOR UPDATE")

        def blocked_claim() -> None:
            try:
                outcome.append(store.claim("held-key").state)
            except BaseException as exc:
                outcome.append(exc)
            finally:
                close_django_connections()

        worker = threading.Thread(target=blocked_claim)
        worker.start()

        def waiting_pids() -> list[int]:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid() AND wait_event_type = 'Lock'",
                (dbname,),
            ).fetchall()
            return [int(row[0]) for row in rows]

        wait_until(
            lambda: bool(outcome or waiting_pids()), "the store's statement to wait on the lock"
        )
        assert not outcome, f"the claim did not wait for the lock: {outcome}"
        # ...then kill it there, as a server restart or a failover would.
        for pid in waiting_pids():
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        worker.join(timeout=60)
        holder.execute("ROLLBACK")
    assert len(outcome) == 1
    assert isinstance(outcome[0], StoreUnavailableError), outcome
    assert outcome[0].code == "store_unavailable"
    # the next calls work, and the killed claim left nothing behind: one more attempt wins
    assert recovers(lambda: store.claim("held-key")).acquired
    record = store.get("held-key")
    assert record is not None
    assert (record.state, record.attempts) == ("processing", 2)


@pytest.mark.skipif(not PG_BACKENDS, reason="no PostgreSQL backend in this run")
@pytest.mark.parametrize("backend", PG_BACKENDS or ["none"], indirect=True)
def test_every_idle_postgres_connection_killed_costs_at_most_one_call(
    make_store: StoreFactory, pg_url: str
) -> None:
    import psycopg

    store: Store = make_store()
    store.inbox_put(b"kept before the outage", "text/plain")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (pg_url.rsplit("/", 1)[1],),
        )
    claim = recovers(lambda: store.inbox_claim_next(lease_seconds=30))
    assert claim is not None
    assert claim.entry.body == b"kept before the outage"
    assert store.inbox_finish(claim, outcome="processed")


@pytest.mark.skipif("redis" not in BACKENDS, reason="no Redis backend in this run")
def test_redis_clients_killed_mid_run_give_clear_errors_then_recover(
    redis_prefix: str,
) -> None:
    import redis

    name = f"ligdicash-fault-{time.monotonic_ns()}"
    store = open_store(f"{REDIS_URL}?prefix={redis_prefix}fault:&client_name={name}")
    try:
        claim = store.claim("k", lease_seconds=300)
        store.inbox_put(b"kept before the outage", "text/plain")
        admin = redis.Redis.from_url(REDIS_URL)
        victims = [c["id"] for c in admin.client_list() if c.get("name") == name]
        assert victims, "the store's connection was not found"
        for client_id in victims:
            admin.client_kill_filter(_id=client_id)
        admin.close()
        assert recovers(lambda: store.claim("k")).state == "busy"  # the claim survived
        assert store.renew(claim, lease_seconds=300)
        entry = store.inbox_claim_next(lease_seconds=30)
        assert entry is not None
        assert entry.entry.body == b"kept before the outage"
    finally:
        store.close()


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="no SQLite backend in this run")
def test_a_sqlite_file_locked_past_the_timeout_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = open_store(f"sqlite:///{path}", timeout=0.05)
    store.get("create-the-tables")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError, match="locked"):
        store.claim("k")
    blocker.execute("ROLLBACK")
    blocker.close()
    assert store.claim("k").acquired
    store.close()


SECRET = "s3cr3t-Pa55"


def unreachable_urls() -> list[str]:
    port = a_closed_port()
    urls = []
    if "postgresql" in BACKENDS:
        urls.append(f"postgresql://shop:{SECRET}@127.0.0.1:{port}/shop")
    if "redis" in BACKENDS:
        urls.append(f"redis://:{SECRET}@127.0.0.1:{port}/0")
    return urls


@pytest.mark.skipif(not unreachable_urls(), reason="no server backend in this run")
@pytest.mark.parametrize("url", unreachable_urls() or ["none"], ids=lambda u: u.split(":")[0])
def test_a_store_server_that_is_down_gives_a_clear_error_without_the_password(url: str) -> None:
    store = open_store(url, timeout=1)
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            store.claim("k")
        error = caught.value
        rendered = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        assert "unavailable" in str(error)
        assert "***" in str(error)
        for text in (str(error), repr(error), repr(store), rendered):
            assert SECRET not in text
        with pytest.raises(StoreUnavailableError):
            store.inbox_put(b"x", "text/plain")
    finally:
        store.close()
