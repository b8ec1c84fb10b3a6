"""Races on real servers: threads and processes contend for the same keys, entries and
payments; each one is won exactly once, on every backend."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from typing import Callable, Optional, TypeVar

import pytest
from store_helpers import (
    SHARED_BACKENDS,
    StoreFactory,
    close_django_connections,
    race_in_a_process,
)

from ligdicash._stores import Store

T = TypeVar("T")
THREADS = 8


def in_threads(work: Callable[[], list[T]], count: int = THREADS) -> list[T]:
    """Run ``work`` in ``count`` threads released together; every result, every error."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            got = work()
            with lock:
                results.extend(got)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            close_django_connections()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread is stuck"
    assert not errors, errors
    return results


def test_threads_racing_on_one_key_give_exactly_one_winner(make_store: StoreFactory) -> None:
    store = make_store()
    states = in_threads(lambda: [store.claim("payin:race:completed").state])
    assert Counter(states) == {"claimed": 1, "busy": THREADS - 1}


def test_threads_draining_the_inbox_lease_each_entry_once(make_store: StoreFactory) -> None:
    store = make_store()
    digests = {store.inbox_put(f"callback {i}".encode(), "text/plain").digest for i in range(24)}

    def drain() -> list[str]:
        leased = []
        while True:
            claim = store.inbox_claim_next(lease_seconds=300)
            if claim is None:
                return leased
            leased.append(claim.digest)
            assert store.inbox_finish(claim, outcome="processed")

    leased = in_threads(drain, 4)
    assert sorted(leased) == sorted(digests)
    assert store.inbox_counts() == {"pending": 0, "processing": 0, "done": 24}


def test_threads_polling_lease_each_due_payment_once(make_store: StoreFactory) -> None:
    store = make_store()
    references = [f"order-{i}" for i in range(30)]
    for reference in references:
        store.record_payment(reference, kind="payin", amount=1000)

    def poll() -> list[str]:
        polled = []
        while True:
            claims = store.claim_due_payments(limit=3, lease_seconds=300)
            if not claims:
                return polled
            for claim in claims:
                polled.append(claim.reference)
                assert store.finish_payment_poll(claim, status="completed")

    polled = in_threads(poll, 4)
    assert sorted(polled) == sorted(references)


@pytest.mark.parametrize("backend", SHARED_BACKENDS, indirect=True)
def test_processes_racing_on_the_same_keys_and_entries_win_each_once(
    store_url: Optional[str], make_store: StoreFactory
) -> None:
    assert store_url is not None
    store: Store = make_store()
    digests = {store.inbox_put(f"callback {i}".encode(), "text/plain").digest for i in range(20)}
    keys = [f"payin:{i}:completed" for i in range(30)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    out = context.Queue()
    processes = [
        context.Process(target=race_in_a_process, args=(store_url, keys, barrier, out))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    won = [key for keys_won, _ in results for key in keys_won]
    leased = [digest for _, digests_leased in results for digest in digests_leased]
    assert sorted(won) == sorted(keys)
    assert sorted(leased) == sorted(digests)
