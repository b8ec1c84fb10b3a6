"""Peak memory of a big payout batch: loading a file into the ledger, and reporting it.

Writes a CSV of N payouts (default 1,000,000), then runs each step in a fresh child
process and prints the child's peak resident set size (``ru_maxrss``) and wall time:

- ``load``: ``load_batch(file)`` then ``ledger.add_batch(batch)`` into a new SQLite ledger
  (what ``ligdicash payouts run`` does before it asks for confirmation);
- ``report``: ``ligdicash payouts report BATCH_ID --store URL -o report.csv`` (the CLI);
- ``report-by-file``: the same with the file as BATCH (the CLI reads the file for its id);
- ``status-by-file``: ``ligdicash payouts status FILE`` (idem).

``--baseline-src DIR`` runs the same steps with another checkout's ``src`` first (e.g. a
worktree of main: ``git worktree add --detach /tmp/main main``), so both are printed side
by side on the same file.

    python benchmarks/payouts_memory.py [--rows 1000000] [--baseline-src /tmp/main/src]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE_SRC = str(Path(__file__).resolve().parents[1] / "src")

# Each child prints "<peak RSS in KiB> <seconds>" on its last line.
LOAD = """
import resource, sys, time
from ligdicash.payouts import load_batch, open_ledger
started = time.monotonic()
batch = load_batch(sys.argv[1])
ledger = open_ledger(sys.argv[2])
ledger.add_batch(batch)
ledger.close()
print(batch.id)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic() - started)
"""

CLI = """
import resource, sys, time
from ligdicash._cli import main
started = time.monotonic()
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic() - started)
"""


def write_file(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("reference,phone,amount,type,description\n")
        for i in range(rows):
            out.write(f"PAY-{i:08d},2267{i % 10_000_000:07d},{100 + i % 9000},merchant,Prime {i}\n")


def child(src: str, code: str, *args: str) -> tuple[str, float, float]:
    env = {**os.environ, "PYTHONPATH": src, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    lines = done.stdout.strip().splitlines()
    kib, seconds = lines[-1].split()
    return "\n".join(lines[:-1]), int(kib) / 1024, float(seconds)


def measure(src: str, csv_path: Path, work: Path) -> dict[str, tuple[float, float]]:
    store = f"sqlite:///{work / 'ledger.db'}"
    if (work / "ledger.db").exists():
        (work / "ledger.db").unlink()
    out, load_mib, load_s = child(src, LOAD, str(csv_path), store)
    batch_id = out.strip().splitlines()[-1]
    report = str(work / "report.csv")
    _, rep_mib, rep_s = child(
        src, CLI, "payouts", "report", batch_id, "--store", store, "-o", report
    )
    with open(report, encoding="utf-8") as written:
        rows = sum(1 for _ in written) - 1
    _, file_mib, file_s = child(
        src, CLI, "payouts", "report", str(csv_path), "--store", store, "-o", report
    )
    _, status_mib, status_s = child(src, CLI, "payouts", "status", str(csv_path), "--store", store)
    print(f"  ({rows:,} report rows)", file=sys.stderr)
    return {
        "load": (load_mib, load_s),
        "report": (rep_mib, rep_s),
        "report-by-file": (file_mib, file_s),
        "status-by-file": (status_mib, status_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-src", help="another checkout's src directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="payouts_memory_") as tmp:
        work = Path(tmp)
        csv_path = work / "batch.csv"
        started = time.monotonic()
        write_file(csv_path, args.rows)
        size = csv_path.stat().st_size / 2**20
        print(f"{args.rows:,} rows, {size:.0f} MiB file ({time.monotonic() - started:.1f} s)")
        runs = []
        if args.baseline_src:
            runs.append(("baseline", args.baseline_src))
        runs.append(("this", HERE_SRC))
        results = {}
        for name, src in runs:
            print(f"{name}: {src}", file=sys.stderr)
            results[name] = measure(src, csv_path, work)
        print(f"{'step':<16}" + "".join(f"{name + ' peak RSS':>22}{'time':>9}" for name in results))
        for step in results[runs[0][0]]:
            cells = "".join(
                f"{results[name][step][0]:>18,.0f} MiB{results[name][step][1]:>8.1f}s"
                for name in results
            )
            print(f"{step:<16}{cells}")


if __name__ == "__main__":
    main()
