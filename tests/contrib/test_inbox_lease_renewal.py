"""A worker that takes longer than its inbox lease keeps the entry: the heartbeat renews it.

The inbox lease is short (so that a dead worker's entry is swept within seconds) and the
heartbeat renews it while the live worker's status call and handler run. Without the
renewal, a slow handler's entry would lapse and a sweeper would take it over while the
first worker still works on it. The handler here holds on an event the test controls;
the test waits on conditions (the lease moving, the clock passing the first lease).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_callback_inbox import JSON, JSON_BODY, Shop, processor, wait_until

import ligdicash
from fake_ligdicash import FakeLigdicash
from ligdicash._stores import MemoryStore, Store
from ligdicash.contrib import ProcessResult

LEASE = 0.6


@pytest.fixture
def store() -> Iterator[Store]:
    # In memory: closing a SQLite store while the heartbeat thread is inside a renewal
    # crashed a run once (a segfault in sqlite3); the lease logic is the same everywhere.
    opened = MemoryStore()
    yield opened
    opened.close()


def test_a_slow_handler_keeps_its_inbox_entry_past_the_first_lease(
    fake: FakeLigdicash, store: Store
) -> None:
    entered, release = threading.Event(), threading.Event()
    shop = Shop()

    def slow(transaction: ligdicash.Transaction) -> None:
        entered.set()
        assert release.wait(60), "the test never released the handler"
        shop.deliver(transaction)

    results: list[ProcessResult] = []
    procs = processor(fake, shop, store, handler=slow, lease_seconds=LEASE)
    proc = next(procs)
    entry = proc.accept(JSON_BODY, JSON)
    assert entry is not None
    worker = threading.Thread(
        target=lambda: results.append(proc.process_inbox(entry.digest)), daemon=True
    )
    worker.start()
    try:
        assert entered.wait(20), "the handler never ran"
        first = store.inbox_get(entry.digest)
        assert first is not None
        assert first.state == "processing"

        def renewed() -> Any:
            now = store.inbox_get(entry.digest)
            return now is not None and now.lease_until > first.lease_until

        wait_until(renewed, "the heartbeat to renew the inbox lease")
        # Past the first lease: a sweeper (another worker) must still find nothing.
        wait_until(lambda: time.time() > first.lease_until + LEASE / 3, "the first lease")
        others = processor(fake, Shop(), store, lease_seconds=LEASE)
        assert next(others).sweep() == 0
        next(others, None)  # closes its client
        held = store.inbox_get(entry.digest)
        assert held is not None
        assert (held.state, held.attempts) == ("processing", 1)
    finally:
        release.set()
        worker.join(20)
        next(procs, None)  # closes its client
    assert [r.outcome for r in results] == ["processed"]
    assert len(shop.delivered) == 1
    done = store.inbox_get(entry.digest)
    assert done is not None
    assert (done.state, done.outcome, done.attempts) == ("done", "processed", 1)
