"""One contract, every backend: claims, leases and renewals, the inbox, the payment registry.

Parametrized by ``conftest.py`` over memory, SQLite, PostgreSQL and Redis here, and over
Django-on-SQLite and Django-on-PostgreSQL in the child runs of ``test_store_django_orm.py``.
Time moves through an injected clock, never by sleeping.
"""

from __future__ import annotations

import pytest
from store_helpers import Clock

from ligdicash import InvalidRequestError
from ligdicash._stores import Claim, InboxClaim, Store, inbox_digest

# -- claims ---------------------------------------------------------------------------


def test_the_first_claim_wins_and_a_second_finds_the_key_busy(store: Store) -> None:
    first = store.claim("payin:abc:completed", lease_seconds=60)
    second = store.claim("payin:abc:completed", lease_seconds=60)
    assert first.acquired
    assert first.owner
    assert second.state == "busy"
    record = store.get("payin:abc:completed")
    assert record is not None
    assert (record.state, record.owner, record.attempts) == ("processing", first.owner, 1)


def test_a_completed_key_is_done_for_ever(store: Store, clock: Clock) -> None:
    assert store.complete(store.claim("k"), note="completed")
    clock.advance(10**9)
    assert store.claim("k").state == "done"
    record = store.get("k")
    assert record is not None
    assert (record.state, record.note) == ("done", "completed")


def test_a_released_key_can_be_claimed_again_once(store: Store) -> None:
    first = store.claim("k")
    assert store.release(first, state="unconfirmed", note="timeout")
    record = store.get("k")
    assert record is not None
    assert (record.state, record.note) == ("unconfirmed", "timeout")
    again = store.claim("k")
    assert again.acquired
    assert again.owner != first.owner
    assert store.claim("k").state == "busy"
    record = store.get("k")
    assert record is not None
    assert record.attempts == 2


def test_an_expired_lease_is_taken_over_and_the_late_owner_is_told(
    store: Store, clock: Clock
) -> None:
    stale = store.claim("k", lease_seconds=30)
    clock.advance(31)
    fresh = store.claim("k", lease_seconds=30)
    assert fresh.acquired
    assert not store.renew(stale, lease_seconds=30)
    assert not store.release(stale, note="late")
    assert not store.complete(stale)
    assert store.claim("k").state == "done"


def test_only_the_owner_can_release_a_processing_key(store: Store) -> None:
    claim = store.claim("k")
    impostor = Claim("k", "claimed", "not-the-owner", claim.lease_until)
    assert not store.release(impostor)
    assert store.claim("k").state == "busy"
    assert store.release(claim, state="failed")
    assert not store.release(claim)  # no longer processing
    record = store.get("k")
    assert record is not None
    assert record.state == "failed"


def test_the_owner_renews_its_lease_and_keeps_the_key_past_the_first_lease(
    store: Store, clock: Clock
) -> None:
    claim = store.claim("k", lease_seconds=15)
    clock.advance(10)
    assert store.renew(claim, lease_seconds=15)
    clock.advance(10)  # 20 s after the claim: past the first lease, inside the renewed one
    assert store.claim("k").state == "busy"
    record = store.get("k")
    assert record is not None
    assert record.lease_until == pytest.approx(1_000_000.0 + 25)
    clock.advance(6)  # the renewed lease lapsed: the worker is presumed dead
    assert not store.renew(claim, lease_seconds=15)
    assert store.claim("k").acquired


def test_only_the_owner_can_renew(store: Store) -> None:
    claim = store.claim("k", lease_seconds=15)
    impostor = Claim("k", "claimed", "not-the-owner", claim.lease_until)
    assert not store.renew(impostor, lease_seconds=600)
    assert store.complete(claim)
    assert not store.renew(claim, lease_seconds=15)  # done, no longer processing


def test_an_unknown_key_has_no_record(store: Store) -> None:
    assert store.get("never") is None


def test_keys_and_leases_are_checked_before_reaching_the_store(store: Store) -> None:
    with pytest.raises(InvalidRequestError):
        store.claim("nul\0key")
    with pytest.raises(InvalidRequestError):
        store.claim("")
    with pytest.raises(InvalidRequestError):
        store.claim("k", lease_seconds=0)
    with pytest.raises(InvalidRequestError):
        store.claim("k", lease_seconds=float("nan"))
    assert store.get("k") is None


HOSTILE_KEYS = [
    "it's",
    "'; DROP TABLE ligdicash_idempotency; --",
    '"; DROP TABLE ligdicash_inbox; --',
    "%s %(x)s ? ?1 $1 :name",
    "back\\slash\\",
    "ünïcødé ✓ 🙂",
    "ligdicash:idem:*",
    "x" * 512,
]


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=range(len(HOSTILE_KEYS)))
def test_hostile_keys_are_stored_as_data_and_harm_nothing(store: Store, key: str) -> None:
    store.complete(store.claim("a-bystander"))
    claim = store.claim(key)
    assert claim.acquired
    assert store.claim(key).state == "busy"
    assert store.complete(claim, note=key)
    record = store.get(key)
    assert record is not None
    assert (record.key, record.state, record.note) == (key, "done", key)
    assert store.claim("a-bystander").state == "done"
    entry = store.inbox_put(key.encode() + b"\0\x00\xff", key[:255])
    assert store.inbox_get(entry.digest) == entry
    assert entry.body == key.encode() + b"\0\x00\xff"
    assert store.record_payment(key, kind="payin", amount=100).reference == key
    assert store.get_payment(key) is not None


# -- inbox ----------------------------------------------------------------------------


def test_a_received_callback_is_kept_once_per_digest(store: Store, clock: Clock) -> None:
    body = b'{"token": "abc", "status": "completed"}'
    first = store.inbox_put(body, "application/json")
    assert first.digest == inbox_digest(body, "application/json")
    assert (first.state, first.body, first.deliveries, first.received_at) == (
        "pending",
        body,
        1,
        clock.now,
    )
    clock.advance(1)
    again = store.inbox_put(body, "application/json")
    assert (again.digest, again.deliveries, again.received_at) == (
        first.digest,
        2,
        first.received_at,
    )
    form = store.inbox_put(body, "application/x-www-form-urlencoded")
    assert form.digest != first.digest
    assert store.inbox_counts() == {"pending": 2, "processing": 0, "done": 0}


def test_workers_lease_the_oldest_entries_one_each(store: Store, clock: Clock) -> None:
    older = store.inbox_put(b"older", "text/plain")
    clock.advance(1)
    newer = store.inbox_put(b"newer", "text/plain")
    first = store.inbox_claim_next(lease_seconds=20)
    second = store.inbox_claim_next(lease_seconds=20)
    assert first is not None
    assert second is not None
    assert (first.digest, second.digest) == (older.digest, newer.digest)
    assert first.owner != second.owner
    assert (first.entry.state, first.entry.attempts, first.lease_until) == (
        "processing",
        1,
        clock.now + 20,
    )
    assert store.inbox_claim_next(lease_seconds=20) is None
    assert store.inbox_claim(older.digest, lease_seconds=20) is None
    assert store.inbox_counts() == {"pending": 0, "processing": 2, "done": 0}


def test_a_finished_entry_is_never_leased_again(store: Store, clock: Clock) -> None:
    entry = store.inbox_put(b"body", "text/plain")
    claim = store.inbox_claim(entry.digest, lease_seconds=20)
    assert claim is not None
    impostor = InboxClaim(claim.entry, "not-the-owner", claim.lease_until)
    assert not store.inbox_finish(impostor, outcome="stolen")
    assert store.inbox_finish(claim, outcome="processed")
    assert not store.inbox_finish(claim, outcome="twice")
    clock.advance(10**6)
    assert store.inbox_claim_next(lease_seconds=20) is None
    done = store.inbox_get(entry.digest)
    assert done is not None
    assert (done.state, done.outcome) == ("done", "processed")
    assert store.inbox_put(b"body", "text/plain").state == "done"  # a late copy stays done
    assert store.inbox_counts() == {"pending": 0, "processing": 0, "done": 1}


def test_a_dead_workers_entry_is_taken_over_after_its_short_lease(
    store: Store, clock: Clock
) -> None:
    entry = store.inbox_put(b"body", "text/plain")
    dead = store.inbox_claim_next(lease_seconds=15)
    assert dead is not None
    clock.advance(14)
    assert store.inbox_claim_next(lease_seconds=15) is None
    clock.advance(2)
    survivor = store.inbox_claim_next(lease_seconds=15)
    assert survivor is not None
    assert survivor.digest == entry.digest
    assert survivor.entry.attempts == 2
    assert not store.inbox_renew(dead, lease_seconds=15)
    assert not store.inbox_finish(dead, outcome="late")
    assert store.inbox_finish(survivor, outcome="processed")


def test_a_renewed_inbox_lease_keeps_the_entry(store: Store, clock: Clock) -> None:
    store.inbox_put(b"body", "text/plain")
    claim = store.inbox_claim_next(lease_seconds=15)
    assert claim is not None
    for _ in range(4):  # a heartbeat every 10 s for 40 s
        clock.advance(10)
        assert store.inbox_renew(claim, lease_seconds=15)
        assert store.inbox_claim_next(lease_seconds=15) is None
    impostor = InboxClaim(claim.entry, "not-the-owner", claim.lease_until)
    assert not store.inbox_renew(impostor, lease_seconds=15)


def test_a_released_entry_waits_for_another_attempt(store: Store) -> None:
    entry = store.inbox_put(b"body", "text/plain")
    claim = store.inbox_claim(entry.digest, lease_seconds=15)
    assert claim is not None
    assert store.inbox_release(claim, outcome="store_error")
    released = store.inbox_get(entry.digest)
    assert released is not None
    assert (released.state, released.outcome) == ("pending", "store_error")
    again = store.inbox_claim_next(lease_seconds=15)
    assert again is not None
    assert (again.digest, again.entry.attempts) == (entry.digest, 2)


def test_operators_list_entries_by_state_oldest_first(store: Store, clock: Clock) -> None:
    digests = []
    for i in range(3):
        digests.append(store.inbox_put(f"body {i}".encode(), "text/plain").digest)
        clock.advance(1)
    claim = store.inbox_claim(digests[1], lease_seconds=15)
    assert claim is not None
    assert store.inbox_finish(claim, outcome="processed")
    assert [e.digest for e in store.inbox_list()] == digests
    assert [e.digest for e in store.inbox_list(state="pending")] == [digests[0], digests[2]]
    assert [e.digest for e in store.inbox_list(limit=1)] == digests[:1]
    assert [e.digest for e in store.inbox_list(state="done")] == [digests[1]]
    assert "body" not in repr(store.inbox_list()[0]).split("digest")[0]


# -- payment registry -----------------------------------------------------------------


def test_a_created_payment_is_recorded_once_with_its_token(store: Store, clock: Clock) -> None:
    record = store.record_payment("order-42", kind="payin", amount=15000)
    assert (record.status, record.token, record.created_at, record.next_poll_at) == (
        "pending",
        None,
        clock.now,
        clock.now,
    )
    assert store.set_payment_token("order-42", "eyJ0eXAiOiJKV1Qi.secret-ish-token")
    clock.advance(5)
    again = store.record_payment("order-42", kind="client_payout", amount=1)
    assert (again.kind, again.amount, again.created_at) == ("payin", 15000, record.created_at)
    assert again.token == "eyJ0eXAiOiJKV1Qi.secret-ish-token"
    assert "secret-ish-token" not in repr(again)
    assert not store.set_payment_token("unknown", "t")
    with pytest.raises(InvalidRequestError):
        store.record_payment("bad", kind="refund", amount=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError):
        store.record_payment("bad", kind="payin", amount=1.5)  # type: ignore[arg-type]


def test_pollers_lease_due_payments_one_poller_each(store: Store, clock: Clock) -> None:
    start = clock.now
    store.record_payment("late", kind="payin", amount=100, next_poll_at=start + 60)
    store.record_payment("early", kind="payin", amount=100, next_poll_at=start + 30)
    store.record_payment("later", kind="merchant_payout", amount=100, next_poll_at=start + 3600)
    assert store.claim_due_payments() == []
    clock.advance(61)
    first = store.claim_due_payments(limit=10, lease_seconds=20)
    assert [c.reference for c in first] == ["early", "late"]
    assert all(c.lease_until == clock.now + 20 for c in first)
    assert store.claim_due_payments(limit=10, lease_seconds=20) == []  # leased
    clock.advance(21)  # the poller died: its leases lapse
    second = store.claim_due_payments(limit=1, lease_seconds=20)
    assert [c.reference for c in second] == ["early"]
    assert not store.finish_payment_poll(first[0], status="completed")  # its lease was lost
    assert store.finish_payment_poll(second[0], status="pending", next_poll_at=clock.now + 300)
    record = store.get_payment("early")
    assert record is not None
    assert (record.status, record.poll_attempts, record.next_poll_at) == (
        "pending",
        1,
        clock.now + 300,
    )
    assert [c.reference for c in store.claim_due_payments(lease_seconds=20)] == ["late"]


def test_only_payments_older_than_asked_are_due(store: Store, clock: Clock) -> None:
    store.record_payment("old", kind="payin", amount=100)
    clock.advance(100)
    store.record_payment("young", kind="payin", amount=100)
    clock.advance(1)
    assert [c.reference for c in store.claim_due_payments(older_than=60)] == ["old"]


def test_a_final_status_takes_a_payment_off_the_schedule(store: Store, clock: Clock) -> None:
    store.record_payment("a", kind="payin", amount=100)
    store.record_payment("b", kind="payin", amount=100)
    store.record_payment("c", kind="payin", amount=100)
    assert store.set_payment_status("a", "completed", note="callback")
    claims = {c.reference: c for c in store.claim_due_payments(lease_seconds=20)}
    assert sorted(claims) == ["b", "c"]
    assert store.finish_payment_poll(claims["b"], status="cancelled")
    assert not store.finish_payment_poll(claims["b"], status="completed")  # lease dropped
    assert store.finish_payment_poll(claims["c"], status="expired", note="after a day")
    clock.advance(10**6)
    assert store.claim_due_payments() == []
    assert store.payment_counts() == {"completed": 1, "cancelled": 1, "expired": 1}
    assert [p.reference for p in store.list_payments(status="cancelled")] == ["b"]
    assert [p.reference for p in store.list_payments()] == ["a", "b", "c"]
    assert not store.set_payment_status("unknown", "completed")
