"""PostgreSQL claims skip the rows another claimer holds instead of waiting for them.

A claimer mid-way through its own lease holds a row lock on the oldest claimable row; a
second claimer must take the next row at once. Without ``FOR UPDATE SKIP LOCKED`` it
queues behind the lock (and a pool of workers drains the inbox one at a time). The lock
is held by a real open transaction on its own connection, and the test waits on
conditions only: the claimer's answer, or PostgreSQL reporting it waiting on a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from ligdicash._stores._postgres import PostgresStore

WAIT = 20.0


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PostgresStore]:
    store = PostgresStore(pg_url)
    store.get("create-the-tables")
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE ligdicash_idempotency, ligdicash_inbox, ligdicash_payments")
    yield store
    store.close()


def someone_waits_on_a_lock(conn: Any) -> bool:
    """Whether a backend of this test's database waits on a lock (this database is the
    session's own: the only other backends are the store's pool and the holder)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row[0])


def claim_beside_a_held_row(
    pg_url: str, lock_sql: str, lock_params: tuple[Any, ...], claim: Callable[[], Any]
) -> Any:
    """Hold ``lock_sql``'s row lock in an open transaction, run ``claim`` in a thread,
    and return what it returned; fail if it waits on the lock instead."""
    import psycopg

    with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url, autocommit=True) as watch:
        assert holder.execute(lock_sql, lock_params).fetchall()  # the row, locked till rollback
        out: list[Any] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                out.append(claim())
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + WAIT
        blocked = False
        while worker.is_alive() and time.monotonic() < deadline:
            if someone_waits_on_a_lock(watch):
                blocked = True
                break
            worker.join(0.01)
        holder.rollback()  # let a blocked claimer go before failing
        worker.join(WAIT)
    assert not errors, errors
    assert not blocked, "the claimer waited on the row another claimer holds"
    assert out, "the claimer never answered"
    return out[0]


def test_an_inbox_claim_takes_the_next_entry_while_another_claimer_holds_the_first(
    pg_store: PostgresStore, pg_url: str
) -> None:
    first = pg_store.inbox_put(b'{"n": 1}', "application/json", received_at=1.0)
    second = pg_store.inbox_put(b'{"n": 2}', "application/json", received_at=2.0)
    claim = claim_beside_a_held_row(
        pg_url,
        "SELECT digest FROM ligdicash_inbox WHERE digest = %s FOR UPDATE",
        (first.digest,),
        lambda: pg_store.inbox_claim_next(lease_seconds=30),
    )
    assert claim is not None
    assert claim.digest == second.digest
    assert pg_store.inbox_get(first.digest).state == "pending"  # type: ignore[union-attr]


def test_a_due_payment_claim_takes_the_next_payment_while_another_claimer_holds_the_first(
    pg_store: PostgresStore, pg_url: str
) -> None:
    pg_store.record_payment("PAY-1", kind="payin", amount=100, token="t1", next_poll_at=1.0)
    pg_store.record_payment("PAY-2", kind="payin", amount=200, token="t2", next_poll_at=2.0)
    claims = claim_beside_a_held_row(
        pg_url,
        "SELECT reference FROM ligdicash_payments WHERE reference = %s FOR UPDATE",
        ("PAY-1",),
        lambda: pg_store.claim_due_payments(limit=1, lease_seconds=30),
    )
    assert [c.reference for c in claims] == ["PAY-2"]
    assert pg_store.get_payment("PAY-1").lease_until == 0  # type: ignore[union-attr]
