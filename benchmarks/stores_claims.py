"""Claim → complete latency and throughput of every store backend, 4 threads each.

Each thread claims fresh keys and completes them (the store's part of processing one
callback); the table gives p50/p99 of one claim+complete and claims per second over all
threads. PostgreSQL and Redis are the real servers (``LIGDICASH_TEST_PG_URL``,
``LIGDICASH_TEST_REDIS_URL``, defaults on 127.0.0.1); the run uses its own database and key
prefix and removes them.

    python benchmarks/stores_claims.py [--claims 400] [--threads 4] [--backends memory,sqlite,...]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ALL = ["memory", "sqlite", "postgresql", "redis", "django-sqlite", "django-postgresql"]


@contextmanager
def servers(tmp: str) -> Iterator[dict[str, str]]:
    """Store URLs for every backend on a fresh database and key prefix; cleaned up after."""
    import psycopg
    import redis

    db = f"ligdicash_bench_{secrets.token_hex(4)}"
    prefix = f"ligdicash-bench-{secrets.token_hex(4)}:"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    pg = urlunsplit(urlsplit(PG_URL)._replace(path="/" + db))
    try:
        configure_django(pg, os.path.join(tmp, "django.sqlite3"))
        yield {
            "memory": "memory://",
            "sqlite": f"sqlite:///{tmp}/store.sqlite3",
            "postgresql": pg,
            "redis": f"{REDIS_URL}?prefix={prefix}",
            "django-sqlite": "django://sqlite",
            "django-postgresql": "django://pg",
        }
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def configure_django(pg_url: str, sqlite_path: str) -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    parts = urlsplit(pg_url)
    settings.configure(
        INSTALLED_APPS=["ligdicash.contrib.django"],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path},
            "sqlite": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": sqlite_path,
                "OPTIONS": {"timeout": 30},
            },
            "pg": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "postgres",
                "PASSWORD": parts.password or "",
                "HOST": parts.hostname,
                "PORT": str(parts.port or 5432),
            },
        },
    )
    django.setup()
    for alias in ("sqlite", "pg"):
        call_command("migrate", "ligdicash", database=alias, verbosity=0)


def run(url: str, claims: int, threads: int) -> dict[str, float]:
    from django.db import connections

    from ligdicash import open_store

    store = open_store(url)
    store.complete(store.claim("warm-up"))  # connections, schema
    barrier = threading.Barrier(threads + 1)
    latencies: list[float] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        mine = []
        barrier.wait()
        for i in range(claims):
            start = time.perf_counter()
            claim = store.claim(f"payin:{worker}-{i}:completed", lease_seconds=30)
            assert claim.acquired
            store.complete(claim, note="completed")
            mine.append(time.perf_counter() - start)
        connections.close_all()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    store.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "per_s": len(latencies) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=400, help="claims per thread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--backends", default=",".join(ALL))
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    with tempfile.TemporaryDirectory() as tmp, servers(tmp) as urls:
        print(f"claim+complete, {args.threads} threads x {args.claims} claims each\n")
        print("| backend | p50 (ms) | p99 (ms) | claims/s |")
        print("|---|---:|---:|---:|")
        for backend in backends:
            result = run(urls[backend], args.claims, args.threads)
            print(
                f"| {backend} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} "
                f"| {result['per_s']:,.0f} |"
            )


if __name__ == "__main__":
    main()
