"""Details of the store contract a mutation run found unchecked, on every backend.

Defaults (a released inbox entry without an outcome keeps none; lists return 100 rows
unless told), a missing entry is ``None``, and the idempotency record's ``updated_at``.
"""

from __future__ import annotations

from store_helpers import Clock

from ligdicash._stores import Store


def test_a_missing_inbox_entry_is_none(store: Store) -> None:
    assert store.inbox_get("0" * 64) is None
    assert store.get_payment("NO-SUCH-PAYMENT") is None


def test_a_release_without_an_outcome_leaves_none(store: Store) -> None:
    entry = store.inbox_put(b'{"n": 1}', "application/json")
    claim = store.inbox_claim(entry.digest, lease_seconds=30)
    assert claim is not None
    assert store.inbox_release(claim) is True
    released = store.inbox_get(entry.digest)
    assert released is not None
    assert (released.state, released.outcome) == ("pending", "")


def test_lists_return_100_rows_unless_told(store: Store, clock: Clock) -> None:
    for n in range(101):
        store.inbox_put(b'{"n": %d}' % n, "application/json", received_at=clock.now + n)
        store.record_payment(f"P-{n:03d}", kind="payin", amount=100 + n)
    assert len(store.inbox_list()) == 100
    assert len(store.inbox_list(limit=101)) == 101
    assert len(store.list_payments()) == 100
    assert len(store.list_payments(status="pending", limit=101)) == 101


def test_an_idempotency_record_says_when_it_last_changed(store: Store, clock: Clock) -> None:
    claim = store.claim("evt-1", lease_seconds=30)
    assert claim.acquired
    record = store.get("evt-1")
    assert record is not None
    assert record.updated_at == clock.now
    clock.advance(5)
    assert store.complete(claim, note="done") is True
    done = store.get("evt-1")
    assert done is not None
    assert (done.state, done.updated_at) == ("done", clock.now)
