"""Idempotency stores: claim/complete/release semantics, leases, threads and processes racing."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ligdicash.contrib import (
    IdempotencyStore,
    MemoryIdempotencyStore,
    SQLiteIdempotencyStore,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[IdempotencyStore]:
    if request.param == "memory":
        yield MemoryIdempotencyStore(clock=clock)
    else:
        sqlite = SQLiteIdempotencyStore(tmp_path / "keys.sqlite3", clock=clock)
        yield sqlite
        sqlite.close()


def test_the_first_claim_wins_and_a_second_finds_the_key_busy(store: IdempotencyStore) -> None:
    first = store.claim("payin:abc:completed", lease_seconds=60)
    second = store.claim("payin:abc:completed", lease_seconds=60)
    assert first.acquired
    assert first.owner
    assert second.state == "busy"
    assert not second.acquired
    record = store.get("payin:abc:completed")
    assert record is not None
    assert (record.state, record.owner, record.attempts) == ("processing", first.owner, 1)


def test_a_completed_key_is_done_for_ever(store: IdempotencyStore, clock: Clock) -> None:
    claim = store.claim("k")
    assert store.complete(claim, note="completed")
    clock.now += 10**9
    assert store.claim("k").state == "done"
    record = store.get("k")
    assert record is not None
    assert (record.state, record.note) == ("done", "completed")


def test_a_released_key_can_be_claimed_again_once(store: IdempotencyStore) -> None:
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
    store: IdempotencyStore, clock: Clock
) -> None:
    stale = store.claim("k", lease_seconds=30)
    clock.now += 31
    fresh = store.claim("k", lease_seconds=30)
    assert fresh.acquired
    assert not store.release(stale, note="late")
    assert not store.complete(stale)
    assert store.claim("k").state == "done"


def test_only_the_owner_of_a_processing_key_can_release_it(store: IdempotencyStore) -> None:
    claim = store.claim("k")
    store.complete(claim)
    assert not store.release(claim)
    assert store.claim("k").state == "done"


def test_an_unknown_key_has_no_record(store: IdempotencyStore) -> None:
    assert store.get("never") is None


def test_the_sqlite_store_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    first = SQLiteIdempotencyStore(path)
    first.complete(first.claim("k"))
    first.close()
    first.close()
    second = SQLiteIdempotencyStore(str(path))
    assert second.claim("k").state == "done"
    second.close()


def test_the_sqlite_store_refuses_an_in_memory_database() -> None:
    with pytest.raises(ValueError, match="MemoryStore"):
        SQLiteIdempotencyStore(":memory:")


def test_eight_threads_racing_on_one_key_give_exactly_one_winner(store: IdempotencyStore) -> None:
    barrier = threading.Barrier(8)
    results: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        state = store.claim("k").state
        with lock:
            results.append(state)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(results) == {"claimed": 1, "busy": 7}


def _claim_all(path: str, keys: list[str], barrier: Any, out: Any) -> None:
    store = SQLiteIdempotencyStore(path, timeout=30)
    barrier.wait()
    won = []
    for key in keys:
        claim = store.claim(key)
        if claim.acquired:
            won.append(key)
            store.complete(claim)
    store.close()
    out.put(won)


def test_four_processes_racing_on_the_same_keys_give_exactly_one_winner_per_key(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "shared.sqlite3")
    creator = SQLiteIdempotencyStore(path)
    creator.get("create-the-table")
    creator.close()
    keys = [f"payin:{i}:completed" for i in range(40)]
    barrier = context.Barrier(4)
    out = context.Queue()
    processes = [
        context.Process(target=_claim_all, args=(path, keys, barrier, out)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    won = [key for _ in processes for key in out.get(timeout=30)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert sorted(won) == sorted(keys)
