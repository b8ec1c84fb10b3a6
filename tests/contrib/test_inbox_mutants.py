"""The inbox flows' answers, pinned where mutation testing (``scripts/mutation.sh inbox``)
found nothing would notice a change: a store that cannot lease, an entry another worker
holds or finished, the sweep's bound, a purge that cannot run. Real stores (SQLite, a
Redis port nobody listens on) and the scriptable LigdiCash server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_callback_inbox import JSON, JSON_BODY, Shop, closed_port, processor

from fake_ligdicash import FakeLigdicash
from ligdicash import open_store
from ligdicash._stores import MemoryStore, Store, inbox_digest
from ligdicash.contrib import CallbackProcessor


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def proc(fake: FakeLigdicash, store: Store) -> Iterator[CallbackProcessor]:
    yield from processor(fake, Shop(), store, lease_seconds=30)


def test_a_store_that_cannot_lease_the_entry_is_a_failure_to_retry(fake: FakeLigdicash) -> None:
    unreachable = open_store(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        for proc in processor(fake, Shop(), unreachable):
            result = proc.process_inbox(inbox_digest(JSON_BODY, JSON))
            assert (result.outcome, result.reason) == ("failed", "store_error")
            # and a purge that fails says 0, never raises
            assert proc.purge_inbox(older_than=1) == 0
    finally:
        unreachable.close()


def test_an_entry_another_worker_holds_is_left_to_it(proc: CallbackProcessor, store: Store) -> None:
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    held = store.inbox_claim(entry.digest, lease_seconds=60)  # another worker
    assert held is not None
    result = proc.process_inbox(entry.digest)
    assert (result.outcome, result.reason) == ("in_progress", "inbox_taken")


def test_an_entry_already_finished_is_a_duplicate_of_the_inbox(
    proc: CallbackProcessor,
) -> None:
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    assert proc.process_inbox(entry.digest).outcome == "processed"
    result = proc.process_inbox(entry.digest)
    assert (result.outcome, result.reason) == ("duplicate", "inbox_done")


def test_one_sweep_takes_1000_entries_at_most(proc: CallbackProcessor, store: Store) -> None:
    # Callbacks for orders the shop does not know: refused without a status call.
    for n in range(1001):
        body = json.dumps(
            {"token": f"t{n}", "status": "completed", "custom_data": {"transaction_id": f"X{n}"}}
        ).encode()
        store.inbox_put(body, JSON, received_at=1000.0 + n)
    assert proc.sweep() == 1000
    assert proc.sweep() == 1
    assert proc.sweep() == 0


class StoreWithoutRetention(MemoryStore):
    """A store written before the inbox had a retention (inbox_purge not implemented)."""

    inbox_purge = Store.inbox_purge


def test_a_store_that_cannot_purge_purges_nothing(fake: FakeLigdicash) -> None:
    old = StoreWithoutRetention()
    try:
        for proc in processor(fake, Shop(), old):
            assert proc.purge_inbox(older_than=1) == 0
    finally:
        old.close()


def test_a_stored_callback_is_read_in_its_declared_charset(
    proc: CallbackProcessor, fake: FakeLigdicash
) -> None:
    body = (
        "token=cb-token&status=completed&amount=31500&customer_firstname=Ren\xe9"
        "&custom_data%5Btransaction_id%5D=ORD-20240512"
    ).encode("iso-8859-1")
    content_type = "application/x-www-form-urlencoded; charset=iso-8859-1"
    entry = proc.accept(body, content_type)
    assert entry is not None
    assert proc.process_inbox(entry.digest).outcome == "processed"
