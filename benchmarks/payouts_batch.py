"""Bulk payouts: batch runner vs a sequential ``Withdrawal.send`` loop, and the ledger's cost.

(a) A 1,000-item batch against a sandbox (in its own process) whose payout endpoints answer
    after 200 ms: ``BatchRunner`` with 8 senders (and others), each keeping ``in_flight``
    payouts in flight, on a SQLite ledger, against the loop a user writes today
    (``for row in rows: client.Withdrawal(...).send(...)``), timed on 100 items and
    multiplied by 10. ``in_flight=1`` is one payout per sender, as the thread engine had.
(b) The ledger's own cost per item, no network, as the runner pays it: a durable claim of 8
    items (``pending → sending``, flushed to disk), one ``→ sent`` per item (committed, not
    flushed), and the 8 ``→ completed`` of a status round in one commit; on SQLite (WAL)
    and PostgreSQL (127.0.0.1). "direct": one thread calling the ledger; "from the loop":
    the same calls as the async engine makes them, each awaited through its ledger thread
    pool (the hop between the event loop and a thread included).

    python benchmarks/payouts_batch.py [--items 1000] [--latency-ms 200] [--pg URL]
                                       [--runs 8x1,8x8,16x8,32x8]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Optional

from ligdicash import Client
from ligdicash.payouts import BatchRunner, WorkerIdentity, load_batch, open_ledger

SANDBOX = """
import sys, time
from ligdicash.sandbox import Sandbox, SandboxConfig
with Sandbox(SandboxConfig.fast()) as sb:
    for path in ("withdrawal/create", "straight/payout"):
        sb.add_fault("latency", count=10**6, path=path, latency_ms=int(sys.argv[1]))
    print(sb.base_url, flush=True)
    sys.stdin.read()
"""


def rows(n: int, tag: str) -> list[dict[str, object]]:
    return [
        {"reference": f"{tag}{i:05d}", "phone": "22670123456", "amount": 100, "type": "merchant"}
        for i in range(n)
    ]


def sandbox(latency_ms: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SANDBOX, str(latency_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def client_for(base_url: str) -> Client:
    return Client(api_key="sandbox_api_key", auth_token="sandbox_auth_token", base_url=base_url)


def sequential(base_url: str, n: int) -> float:
    with client_for(base_url) as client:
        started = time.perf_counter()
        for row in rows(n, "SEQ"):
            client.Withdrawal(
                description="", amount=row["amount"], customer=str(row["phone"])
            ).send(type="merchant", custom_data={"transaction_id": str(row["reference"])})
        return time.perf_counter() - started


def batched(base_url: str, n: int, workers: int, in_flight: int) -> float:
    directory = tempfile.mkdtemp(prefix="ligdicash-bench-")
    ledger = open_ledger(f"sqlite:///{directory}/ledger.db")
    batch = load_batch(rows(n, f"B{workers}x{in_flight}-"))
    ledger.add_batch(batch)
    with client_for(base_url) as client:
        runner = BatchRunner(
            ledger, client, batch.id, workers=workers, in_flight=in_flight, settle_timeout=0
        )
        started = time.perf_counter()
        result = runner.run()
        elapsed = time.perf_counter() - started
    if result.info.count("sent", "completed") != n:
        odd = [
            (i.status, i.error)
            for i in ledger.items(batch.id)
            if i.status not in ("sent", "completed")
        ]
        print(f"   ({workers} senders: {result.info.counts}; {odd[:3]})")
    ledger.close()
    return elapsed


def ledger_cost(url: str, n: int) -> tuple[float, float]:
    """Milliseconds per item: called directly, and from an event loop through threads."""
    ledger = open_ledger(url)
    me = WorkerIdentity()

    def one_round(batch_id: str) -> int:
        # One durable claim of 8 (free slots share a claim), then each item's answer.
        claimed = ledger.claim_many(batch_id, me, 8)
        for item in claimed:
            ledger.move(item.id, "sent", expect=["sending"], token="T" * 370)
        # As a status round: the results of several items recorded in one commit.
        ledger.settle_many([(item.id, "completed") for item in claimed])
        return len(claimed)

    batch = load_batch(rows(n, f"L{uuid.uuid4().hex[:6]}-"))
    ledger.add_batch(batch)
    started = time.perf_counter()
    done = 0
    while done < n:
        done += one_round(batch.id)
    direct = (time.perf_counter() - started) / n * 1000

    async def from_the_loop(batch_id: str) -> float:
        from concurrent.futures import ThreadPoolExecutor

        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(4) as pool:

            async def call(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
                return await loop.run_in_executor(pool, functools.partial(fn, *args, **kw))

            started = time.perf_counter()
            done = 0
            while done < n:
                claimed = await call(ledger.claim_many, batch_id, me, 8)
                for item in claimed:
                    await call(ledger.move, item.id, "sent", expect=["sending"], token="T" * 370)
                await call(ledger.settle_many, [(item.id, "completed") for item in claimed])
                done += len(claimed)
            return (time.perf_counter() - started) / n * 1000

    batch = load_batch(rows(n, f"M{uuid.uuid4().hex[:6]}-"))
    ledger.add_batch(batch)
    hopped = asyncio.run(from_the_loop(batch.id))
    ledger.close()
    return direct, hopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--sequential-items", type=int, default=100)
    parser.add_argument(
        "--runs", default="8x1,8x8,16x8,32x8", help="senders x in_flight, comma-separated"
    )
    parser.add_argument(
        "--pg", default=os.environ.get("LIGDICASH_BENCH_PG", ""), help="postgresql:// URL"
    )
    args = parser.parse_args()
    proc, base_url = sandbox(args.latency_ms)
    try:
        seq = sequential(base_url, args.sequential_items) * args.items / args.sequential_items
        print(f"(a) {args.items} payouts, {args.latency_ms} ms per payout request")
        print("| runner | in flight at once | seconds | items/s | speed-up |")
        print("|---|---:|---:|---:|---:|")
        print(
            f"| sequential Withdrawal.send (x{args.items // args.sequential_items} of "
            f"{args.sequential_items}) | 1 | {seq:.1f} | {args.items / seq:.1f} | 1.0x |"
        )
        for run in args.runs.split(","):
            workers, in_flight = (int(part) for part in run.split("x"))
            t = batched(base_url, args.items, workers, in_flight)
            print(
                f"| BatchRunner, {workers} senders x {in_flight} in flight | "
                f"{workers * in_flight} | {t:.1f} | {args.items / t:.1f} | {seq / t:.1f}x |"
            )
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    print()
    print("(b) ledger cost per item (claim of 8 + sent + completed)")
    print("| store | ms per item, direct | ms per item, from the loop |")
    print("|---|---:|---:|")
    directory = tempfile.mkdtemp(prefix="ligdicash-bench-")
    direct, hopped = ledger_cost(f"sqlite:///{directory}/l.db", 1000)
    print(f"| SQLite (WAL; claims synchronous=FULL) | {direct:.2f} | {hopped:.2f} |")
    pg_db: Optional[str] = None
    if args.pg:
        import psycopg

        pg_db = f"ligdicash_payouts_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_db}"')
        try:
            url = args.pg.rsplit("/", 1)[0] + "/" + pg_db
            direct, hopped = ledger_cost(url, 1000)
            print(f"| PostgreSQL (127.0.0.1) | {direct:.2f} | {hopped:.2f} |")
        finally:
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
