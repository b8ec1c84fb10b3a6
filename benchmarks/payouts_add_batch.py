"""Recording a batch: ``Ledger.add_batch`` of N payouts into a ledger that already holds
M payouts of earlier batches (the references checked against every one of them, the
one-payment-per-reference unique index maintained), on SQLite (WAL) and PostgreSQL.

    python benchmarks/payouts_add_batch.py [--items 10000] [--held 100000] [--pg URL]

Prints the median of 3 ``add_batch`` calls per backend, and per item.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid

from ligdicash.payouts import load_batch, open_ledger


def rows(n: int, tag: str) -> list[dict[str, object]]:
    return [
        {"reference": f"{tag}{i:07d}", "phone": "22670123456", "amount": 100 + i % 1000}
        for i in range(n)
    ]


def measure(url: str, items: int, held: int) -> list[float]:
    ledger = open_ledger(url)
    try:
        for start in range(0, held, 50_000):  # the account's history
            ledger.add_batch(load_batch(rows(min(50_000, held - start), f"H{start}-")))
        timings = []
        for _ in range(3):
            batch = load_batch(rows(items, f"N{uuid.uuid4().hex[:8]}-"))
            started = time.perf_counter()
            assert ledger.add_batch(batch)
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--held", type=int, default=100_000)
    parser.add_argument("--pg", help="an empty PostgreSQL database's URL (its tables are used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        backends = [("sqlite", f"sqlite:///{directory}/ledger.db")]
        if args.pg:
            backends.append(("postgresql", args.pg))
        for name, url in backends:
            median = statistics.median(measure(url, args.items, args.held))
            print(
                f"{name:10s} add_batch of {args.items:,} into {args.held:,} held: "
                f"{median * 1000:8.1f} ms ({median / args.items * 1e6:.1f} us/item)"
            )


if __name__ == "__main__":
    main()
