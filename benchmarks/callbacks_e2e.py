"""Callbacks processed per second end to end, with 4 worker processes, per store backend.

sandbox → proxy → app worker (inbox write, 200) → claim → status call to the sandbox →
handler → done. ``--workers`` processes of ``tests/durable/host_app.py`` (Flask, or Django
for ``django``) share one store behind ``tests/durable/proxy.py`` (the two copies of each
callback go to different workers). ``--payments`` are created first, then settled at once;
the clock runs from the first settlement until every payment was handled and the inbox is
drained. Latency: per inbox entry, from "stored" (received) to "done", p50/p99.
Claim latency: one ``claim`` + ``complete`` on the same store from ``--workers`` threads
of this process, p50/p99 (the store's share of each callback). The Django hosts run on
Django's own connection pool (Django ≥ 5.1, ``HOST_DJANGO_POOL=1`` for
``tests/durable/durable_helpers.py``), as the PostgreSQL store runs on its
``psycopg_pool``: both pay no connection per callback; ``--no-django-pool`` opens one per
request and per callback, as Django does without a pool or ``CONN_MAX_AGE``.

``--per-host-sqlite`` also runs the old default behind the load balancer, a SQLite file in
each worker's own directory, and counts the payments handled twice (it should not be 0).

    python benchmarks/callbacks_e2e.py [--payments 200] [--workers 4]
        [--backends sqlite,postgresql,redis,django] [--per-host-sqlite] [--no-django-pool]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests" / "durable")]

from cluster import Cluster, cluster  # noqa: E402
from durable_helpers import wait_until  # noqa: E402

import ligdicash  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def inbox_latencies(running: Cluster) -> list[float]:
    if running.kind == "flask":
        latencies: list[float] = []
        for url in running.store_urls():
            store = ligdicash.open_store(url)
            try:
                entries = store.inbox_list(state="done", limit=100_000)
            finally:
                store.close()
            latencies += [entry.updated_at - entry.received_at for entry in entries]
        return latencies
    import psycopg

    with psycopg.connect(running.env["HOST_DJANGO_DB"], connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT updated_at - received_at FROM ligdicash_django_inbox WHERE state = 'done'"
        ).fetchall()
    return [float(row[0]) for row in rows]


def claim_latencies(running: Cluster, threads: int, per_thread: int = 100) -> list[float]:
    """claim + complete on the cluster's store, from ``threads`` threads of this process."""
    if running.kind == "django":
        return []  # measured by benchmarks/stores_claims.py (django-postgresql)
    store = ligdicash.open_store(running.store_urls()[0])
    latencies: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        mine = []
        for _ in range(per_thread):
            key = f"bench:{uuid.uuid4().hex}"
            started = time.perf_counter()
            claim = store.claim(key, lease_seconds=20)
            store.complete(claim)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()
    return latencies


def run(backend: str, payments: int, workers: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory(prefix="ligdicash-e2e-") as tmp,
        cluster(backend, Path(tmp), hosts=workers) as running,
    ):
        tokens = running.create_payments(payments)
        started = time.perf_counter()
        running.settle(tokens)
        if backend == "sqlite-per-host":
            wait_until(lambda: len(running.sandbox.callbacks()) >= 2 * payments, "copies", 180)
            wait_until(lambda: running.inbox_unfinished() == 0, "the inboxes", 180)
        else:
            wait_until(lambda: len(running.handled()) == payments, "every payment", 180)
            wait_until(lambda: running.inbox_unfinished() == 0, "the inbox drained", 180)
        elapsed = time.perf_counter() - started
        handled = running.handled()
        inbox = inbox_latencies(running)
        claims = claim_latencies(running, workers)
        return {
            "elapsed": elapsed,
            "callbacks_per_s": 2 * payments / elapsed,
            "payments_per_s": payments / elapsed,
            "inbox_p50_ms": percentile(inbox, 0.5) * 1000,
            "inbox_p99_ms": percentile(inbox, 0.99) * 1000,
            "claim_p50_ms": percentile(claims, 0.5) * 1000,
            "claim_p99_ms": percentile(claims, 0.99) * 1000,
            "twice": sum(1 for token in tokens if handled[token] > 1),
            "lost": sum(1 for token in tokens if handled[token] == 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql,redis,django")
    parser.add_argument("--per-host-sqlite", action="store_true")
    parser.add_argument("--no-django-pool", action="store_true")
    args = parser.parse_args()
    os.environ["HOST_DJANGO_POOL"] = "0" if args.no_django_pool else "1"  # the hosts inherit it
    backends = args.backends.split(",") + (["sqlite-per-host"] if args.per_host_sqlite else [])
    print(
        f"{args.payments} payments ({2 * args.payments} callbacks), {args.workers} workers\n\n"
        "| backend | callbacks/s | payments/s | stored→done p50 / p99 | "
        "claim+complete p50 / p99 | handled twice | lost |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        row = run(backend, args.payments, args.workers)
        claims = (
            f"{row['claim_p50_ms']:.1f} / {row['claim_p99_ms']:.1f} ms"
            if row["claim_p50_ms"] == row["claim_p50_ms"]
            else "(stores_claims.py)"
        )
        print(
            f"| {backend} | {row['callbacks_per_s']:.1f} | {row['payments_per_s']:.1f} | "
            f"{row['inbox_p50_ms']:.0f} / {row['inbox_p99_ms']:.0f} ms | {claims} | "
            f"{int(row['twice'])} | {int(row['lost'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
