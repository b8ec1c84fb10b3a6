"""What a flood of forged callbacks leaves in the inbox (issue 17, item 7).

N forged callbacks (order ids no lookup knows, ~300-byte JSON bodies, all different) go
through the processor's inbox entry points on a real store, two ways:

- ``steady``: each is kept (``accept``) then processed (``process_inbox``), as an endpoint
  with free workers does;
- ``burst``: all are offered to ``accept`` first (workers too slow, or down), then one
  ``sweep()`` processes what was kept.

It prints, per store and way, the entries the inbox holds afterwards, the bytes they take
(SQLite: the pages in use, ``(page_count - freelist_count) * page_size``; Redis: the sum of
``MEMORY USAGE`` over the keys of the run's prefix), the bodies refused with 503, and the
time of one ``inbox_counts()`` on a store holding the flood's entries. Only public APIs
are used, so the same script measures an older release (``PYTHONPATH=<its src>``).

    python benchmarks/inbox_flood.py                    # 100,000 each, SQLite and Redis
    python benchmarks/inbox_flood.py -n 20000 --store sqlite
    python benchmarks/inbox_flood.py --filled 100000 --store redis   # counts on a full inbox

``--filled N`` instead stores N finished entries through the Store API (``inbox_put``,
``inbox_claim``, ``inbox_finish``: what genuine processed callbacks leave for the
retention) and prints the median time of 5 ``inbox_counts()`` on that inbox.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sqlite3
import tempfile
import time
from typing import Any, Optional

import ligdicash
from ligdicash.contrib import CallbackProcessor

REDIS_URL = os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def forged(n: int) -> bytes:
    return json.dumps(
        {
            "token": secrets.token_hex(16),
            "status": "completed",
            "amount": 1000 + n,
            "custom_data": {"transaction_id": f"FORGED-{n:08d}-{secrets.token_hex(4)}"},
            "customer": "22670000000",
            "operator_name": "Orange Money",
            "request_id": secrets.token_hex(20),
        }
    ).encode()


def nobody(callback: Any) -> None:
    return None  # no forged order id is ours


def flood(store: Any, n: int, burst: bool) -> tuple[int, float]:
    processor = CallbackProcessor(lookup=nobody, handler=lambda tx: None, store=store)
    refused = 0
    started = time.perf_counter()
    digests = []
    for i in range(n):
        try:
            entry = processor.accept(forged(i), "application/json")
        except ligdicash.StoreUnavailableError:
            refused += 1  # the endpoint answers 503: nothing kept
            continue
        if entry is None:
            continue
        if burst:
            digests.append(entry.digest)
        else:
            processor.process_inbox(entry.digest)
    if burst:
        while processor.sweep():
            pass
    return refused, time.perf_counter() - started


def sqlite_bytes(path: str) -> int:
    with sqlite3.connect(path) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def redis_bytes(prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        total = 0
        for key in client.scan_iter(match=prefix + "*", count=1000):
            total += int(client.memory_usage(key) or 0)
        return total
    finally:
        client.close()


def drop_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
    finally:
        client.close()


def run(kind: str, n: int, burst: bool) -> dict[str, Any]:
    path: Optional[str] = None
    prefix = ""
    if kind == "sqlite":
        path = os.path.join(tempfile.mkdtemp(prefix="inbox-flood-"), "store.sqlite3")
        store: Any = ligdicash.open_store(f"sqlite:///{path}")
    else:
        prefix = f"inbox-flood-{secrets.token_hex(4)}:"
        store = ligdicash.open_store(f"{REDIS_URL}?prefix={prefix}")
    try:
        refused, seconds = flood(store, n, burst)
        counts = store.inbox_counts()
        started = time.perf_counter()
        store.inbox_counts()
        count_ms = (time.perf_counter() - started) * 1000
        size = sqlite_bytes(path) if path else redis_bytes(prefix)
    finally:
        store.close()
        if prefix:
            drop_prefix(prefix)
    return {
        "store": kind,
        "way": "burst" if burst else "steady",
        "posted": n,
        "refused_503": refused,
        "entries_kept": sum(counts.values()),
        "bytes": size,
        "counts_ms": round(count_ms, 2),
        "seconds": round(seconds, 1),
    }


def filled(kind: str, n: int) -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="inbox-filled-"), "store.sqlite3")
    prefix = f"inbox-filled-{secrets.token_hex(4)}:"
    url = f"sqlite:///{path}" if kind == "sqlite" else f"{REDIS_URL}?prefix={prefix}"
    store: Any = ligdicash.open_store(url)
    try:
        for i in range(n):
            entry = store.inbox_put(forged(i), "application/json")
            claim = store.inbox_claim(entry.digest, lease_seconds=60)
            store.inbox_finish(claim, outcome="processed")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            counts = store.inbox_counts()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{kind}: {counts} on {n} finished entries; inbox_counts() median {times[2]:.2f} ms")
    finally:
        store.close()
        if kind == "redis":
            drop_prefix(prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="forged callbacks per run")
    parser.add_argument("--store", choices=["sqlite", "redis", "both"], default="both")
    parser.add_argument("--way", choices=["steady", "burst", "both"], default="both")
    parser.add_argument("--filled", type=int, help="time inbox_counts() on N finished entries")
    args = parser.parse_args()
    # One WARNING per forged callback: the flood's own noise, not what is measured.
    logging.getLogger("ligdicash").addHandler(logging.NullHandler())
    logging.getLogger("ligdicash").propagate = False
    kinds = ["sqlite", "redis"] if args.store == "both" else [args.store]
    ways = [False, True] if args.way == "both" else [args.way == "burst"]
    print(f"ligdicash {ligdicash.__version__} from {os.path.dirname(ligdicash.__file__)}")
    if args.filled:
        for kind in kinds:
            filled(kind, args.filled)
        return
    header = "store   way     posted   503s     kept     bytes        counts ms  seconds"
    print(header, flush=True)
    for kind in kinds:
        for burst in ways:
            r = run(kind, args.n, burst)
            print(
                f"{r['store']:<7} {r['way']:<7} {r['posted']:<8} {r['refused_503']:<8} "
                f"{r['entries_kept']:<8} {r['bytes']:<12} {r['counts_ms']:<10} {r['seconds']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
