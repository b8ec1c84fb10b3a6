"""The SQL stores' answers, pinned where mutation testing (``scripts/mutation.sh stores``)
found nothing would notice a change: the default lease and note, a completion without a
claim, and which argument an error names. On SQLite and PostgreSQL (the SQL is shared)."""

from __future__ import annotations

import socket

import pytest
from store_helpers import Clock

from ligdicash import InvalidRequestError, StoreUnavailableError
from ligdicash._stores import Store
from ligdicash._stores._postgres import PostgresStore
from ligdicash._stores._types import Claim

SQL = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


@SQL
def test_a_claim_is_leased_for_300_s_by_default(store: Store, clock: Clock) -> None:
    claim = store.claim("k-default")
    assert claim.state == "claimed"
    assert claim.lease_until == clock.now + 300
    record = store.get("k-default")
    assert record is not None
    assert record.lease_until == clock.now + 300


@SQL
def test_completing_and_releasing_keep_an_empty_note_by_default(store: Store) -> None:
    done = store.claim("k-done")
    assert store.complete(done) is True
    assert store.get("k-done").note == ""  # type: ignore[union-attr]
    released = store.claim("k-released")
    assert store.release(released) is True
    record = store.get("k-released")
    assert record is not None
    assert (record.state, record.note) == ("unconfirmed", "")


@SQL
def test_completing_a_key_never_claimed_here_marks_it_done_and_says_it_was_not_ours(
    store: Store, clock: Clock
) -> None:
    # e.g. the store was swapped while the handler ran: done for ever all the same.
    stray = Claim("k-stray", "claimed", "someone-else", clock.now + 60)
    assert store.complete(stray, note="late") is False
    record = store.get("k-stray")
    assert record is not None
    assert (record.state, record.note) == ("done", "late")
    assert store.claim("k-stray").state == "done"


@SQL
def test_bad_arguments_are_refused_naming_the_argument(store: Store) -> None:
    claim = store.claim("k-bad")
    with pytest.raises(InvalidRequestError, match="note must be a string of at most 1000"):
        store.complete(claim, note="x" * 1001)
    with pytest.raises(InvalidRequestError, match="note must be a string of at most 1000"):
        store.release(claim, note="x" * 1001)
    with pytest.raises(ValueError, match=r"^state must be 'unconfirmed' or 'failed'$"):
        store.release(claim, state="done")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="the store digest must be a non-empty string"):
        store.inbox_claim("", lease_seconds=30)
    entry = store.inbox_put(b'{"status": "completed"}', "application/json", received_at=1.0)
    leased = store.inbox_claim(entry.digest, lease_seconds=30)
    assert leased is not None
    with pytest.raises(InvalidRequestError, match="outcome must be a string of at most 1000"):
        store.inbox_finish(leased, outcome="x" * 1001)


@SQL
def test_a_purge_limited_to_nothing_purges_nothing(store: Store, clock: Clock) -> None:
    entry = store.inbox_put(b'{"status": "completed"}', "application/json", received_at=1.0)
    leased = store.inbox_claim(entry.digest, lease_seconds=30)
    assert leased is not None
    assert store.inbox_finish(leased, outcome="processed") is True
    clock.advance(3600)
    assert store.inbox_purge(older_than=60, limit=0) == 0
    assert store.inbox_get(entry.digest) is not None
    assert store.inbox_purge(older_than=60) == 1


@SQL
def test_a_busy_or_done_claim_names_its_key_and_the_live_lease(store: Store, clock: Clock) -> None:
    first = store.claim("k-busy", lease_seconds=60)
    clock.advance(1)
    assert store.claim("k-busy") == Claim("k-busy", "busy", "", first.lease_until)
    assert store.complete(first) is True
    assert store.claim("k-busy") == Claim("k-busy", "done")


@SQL
def test_a_payment_record_reads_back_every_field(store: Store, clock: Clock) -> None:
    created = clock.now
    store.record_payment("P-1", kind="payin", amount=1500, token=None)
    clock.advance(10)
    assert store.set_payment_token("P-1", "tok-1") is True
    (claim,) = store.claim_due_payments(lease_seconds=30)
    clock.advance(5)
    again = clock.now + 60
    assert store.finish_payment_poll(claim, status="pending", next_poll_at=again, note="n1")
    record = store.get_payment("P-1")
    assert record is not None
    assert (record.created_at, record.updated_at) == (created, clock.now)
    assert (record.owner, record.lease_until, record.note) == (claim.owner, 0.0, "n1")
    assert (record.token, record.next_poll_at, record.poll_attempts) == ("tok-1", again, 1)
    assert store.list_payments(status="pending") == [record]


@SQL
def test_an_inbox_entry_reads_back_every_field(store: Store, clock: Clock) -> None:
    ct = "application/x-www-form-urlencoded; charset=utf-8"
    entry = store.inbox_put(b"status=completed", ct, received_at=5.0)
    clock.advance(7)
    leased = store.inbox_claim(entry.digest, lease_seconds=30)
    assert leased is not None
    got = store.inbox_get(entry.digest)
    assert got is not None
    assert (got.content_type, got.received_at, got.state) == (ct, 5.0, "processing")
    assert (got.owner, got.lease_until, got.updated_at) == (
        leased.owner,
        clock.now + 30,
        clock.now,
    )
    assert got == leased.entry
    with pytest.raises(InvalidRequestError, match="content_type must be a string"):
        store.inbox_put(b"status=completed", "x" * 256, received_at=5.0)


def test_an_unreachable_postgresql_store_says_which_one_it_is() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    store = PostgresStore(f"postgresql://postgres:secret@127.0.0.1:{port}/nowhere", timeout=1)
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            store.get("k")
    finally:
        store.close()
    message = str(caught.value)
    assert f"the PostgreSQL store postgresql://postgres:***@127.0.0.1:{port}/nowhere" in message
    assert "secret" not in message
