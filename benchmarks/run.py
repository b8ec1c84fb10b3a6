"""Benchmarks: ours vs raw httpx vs the provider's ``ligdicash==1.0.5``, in one run.

    .venv/bin/python benchmarks/run.py            # about 30 s; prints one table
    .venv/bin/python benchmarks/run.py --full     # the provider on 1,000 calls (+50 s)

What it does (see ``benchmarks/README.md``):

- installs the provider's SDK once into a cache dir (``pip install --target``), because it
  has the same import name as ours: every runner is its own subprocess;
- starts two servers in their own processes (``_server.py``): no latency, and 50 ms;
- (a) 2,000 sequential status checks: ours sync vs raw ``httpx.Client``;
- (a') 1,000 sequential hosted-payin creations: ours vs a bare ``httpx.Client.post`` of the
  same body vs the provider's SDK;
- (b) 1,000 status checks at 50 ms latency, concurrency 50: ours async (and raw
  ``httpx.AsyncClient``) vs the provider's SDK, sequential (on ``--provider-calls`` calls,
  scaled to 1,000, since it takes 50+ s);
- (c) ``import ligdicash``, median of 5 fresh processes, ours vs the provider's;
- (d) the peak RSS of every runner.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PROVIDER = "ligdicash==1.0.5"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ligdicash-bench"


def ensure_provider_sdk(cache: Path) -> Path:
    """The provider's SDK (and requests) in its own ``--target`` dir; installed if missing."""
    target = cache / "ligdicash-1.0.5"
    if not (target / "ligdicash" / "defaults.py").exists():
        print(f"installing {PROVIDER} into {target} ...", file=sys.stderr)
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", "--target", str(target), PROVIDER,
             "requests"],
            check=True,
        )  # fmt: skip
    return target


class Server:
    """``_server.py`` in its own process."""

    def __init__(self, latency_ms: float) -> None:
        self.process = subprocess.Popen(
            [PYTHON, str(HERE / "_server.py"), "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "PORT":
            self.process.kill()
            raise RuntimeError("the benchmark server did not start")
        self.port = int(line[1])

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def run(name: str, port: int, calls: int, sdk_dir: Path, concurrency: int = 50) -> dict[str, Any]:
    out = subprocess.run(
        [PYTHON, str(HERE / "_runners.py"), name, "--port", str(port), "--calls", str(calls),
         "--concurrency", str(concurrency), "--sdk-dir", str(sdk_dir)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


IMPORT_CODE = (
    "import sys, time; {prelude}t = time.perf_counter(); import ligdicash; {extra}"
    "print(time.perf_counter() - t)"
)


def import_environment() -> dict[str, str]:
    """The environment of the import-time children: without ``PYTHONDONTWRITEBYTECODE``, so
    the warm-up run writes our tree's bytecode caches. pip compiled the provider's SDK when it
    installed it (and compiles ours for any user); without them we would time Python
    compiling our source, every run."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_time(sdk_dir: Path, provider: bool, extra: str = "", runs: int = 5) -> float:
    """Median seconds of ``import ligdicash`` (plus ``extra``) over fresh processes."""
    prelude = f"sys.path.insert(0, {str(sdk_dir)!r}); " if provider else ""
    code = IMPORT_CODE.format(prelude=prelude, extra=extra)
    env = import_environment()
    # Warms the disk cache and writes the bytecode caches.
    subprocess.run([PYTHON, "-c", code], check=True, capture_output=True, env=env)
    times = [
        float(subprocess.run([PYTHON, "-c", code], check=True, capture_output=True,
                             text=True, env=env).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--provider-calls", type=int, default=200)
    parser.add_argument("--full", action="store_true", help="the provider on 1,000 calls")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    sdk = ensure_provider_sdk(args.cache)
    provider_calls = 1000 if args.full else args.provider_calls
    rows: dict[str, dict[str, Any]] = {}
    with Server(0) as fast, Server(50) as slow:
        for name in ("httpx_sync", "ours_sync", "httpx_sync", "ours_sync"):
            result = run(name, fast.port, 2000, sdk)
            # Interleaved twice; keep the better of the two, the usual for overhead.
            if name not in rows or result["seconds"] < rows[name]["seconds"]:
                rows[name] = result
        rows["provider_sequential_a"] = run("provider_sequential", fast.port, 2000, sdk)
        for name in ("httpx_post", "ours_create", "httpx_post", "ours_create"):
            result = run(name, fast.port, 1000, sdk)
            if name not in rows or result["seconds"] < rows[name]["seconds"]:
                rows[name] = result
        rows["provider_create"] = run("provider_create", fast.port, 1000, sdk)
        for name in ("httpx_async", "ours_async", "ours_sync_bulk", "ours_sync_bulk_via_loop"):
            rows[name] = run(name, slow.port, 1000, sdk)
        rows["provider_sequential"] = run("provider_sequential", slow.port, provider_calls, sdk)
    imports = {
        "ours": import_time(sdk, provider=False),
        "ours_client": import_time(sdk, provider=False, extra="ligdicash.Client; "),
        "provider": import_time(sdk, provider=True),
    }
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "imports": imports}, indent=2))
    print_table(rows, imports, provider_calls)


def print_table(rows: dict[str, dict[str, Any]], imports: dict[str, float], pcalls: int) -> None:
    def per_call_ms(name: str) -> float:
        return float(rows[name]["seconds"]) / int(rows[name]["calls"]) * 1000

    a_ours, a_httpx = per_call_ms("ours_sync"), per_call_ms("httpx_sync")
    provider_1000 = per_call_ms("provider_sequential")  # ms per call == s per 1,000 calls
    print()
    print("(a) 2,000 sequential status checks, no server latency")
    print(f"  {'runner':44s} {'total s':>8s} {'µs/call':>9s} {'ratio':>9s}")
    for label, name, value in (
        ("raw httpx.Client", "httpx_sync", a_httpx),
        ("ours: Client.get_transaction", "ours_sync", a_ours),
        ("provider ligdicash 1.0.5", "provider_sequential_a", per_call_ms("provider_sequential_a")),
    ):
        total = float(rows[name]["seconds"])
        print(f"  {label:44s} {total:8.2f} {value * 1000:9.0f} {value / a_httpx:8.2f}x")
    print(f"  -> ours / raw httpx = {a_ours / a_httpx:.3f}x (goal <= 1.15x)")
    print()
    print("(a') 1,000 sequential hosted-payin creations (documented invoice), no server latency")
    print(f"  {'runner':44s} {'total s':>8s} {'µs/call':>9s} {'ratio':>9s}")
    c_post, c_ours = per_call_ms("httpx_post"), per_call_ms("ours_create")
    c_provider = per_call_ms("provider_create")
    for label, name, value in (
        ("raw httpx.Client.post of the same body", "httpx_post", c_post),
        ("ours: Invoice + pay_with_redirection", "ours_create", c_ours),
        ("provider 1.0.5: Invoice + pay_with_redirection", "provider_create", c_provider),
    ):
        total = float(rows[name]["seconds"])
        print(f"  {label:44s} {total:8.2f} {value * 1000:9.0f} {value / c_post:8.2f}x")
    print(f"  -> ours / raw POST = {c_ours / c_post:.3f}x;  ours is "
          f"{c_provider / c_ours:.2f}x faster than the provider (goal >= 2.3x)")  # fmt: skip
    print()
    print("(b) 1,000 status checks, 50 ms server latency, concurrency 50")
    print(f"  {'runner':44s} {'total s':>8s} {'speed-up vs provider':>21s}")
    label = f"provider 1.0.5, sequential ({pcalls} calls, x{1000 / pcalls:g})"
    print(f"  {label:44s} {provider_1000:8.2f} {1.0:20.1f}x")
    for label, name in (
        ("raw httpx.AsyncClient (default limits)", "httpx_async"),
        ("ours: AsyncClient.get_transactions", "ours_async"),
        ("ours: Client.get_transactions (threads)", "ours_sync_bulk"),
        ("(alt.) asyncio.run(AsyncClient batch)", "ours_sync_bulk_via_loop"),
    ):
        total = float(rows[name]["seconds"])
        print(f"  {label:44s} {total:8.2f} {provider_1000 / total:20.1f}x")
    ideal = 1000 * 0.05 / 50
    versus_raw = rows["httpx_async"]["seconds"] / rows["ours_async"]["seconds"]
    print(f"  ideal: {ideal:.2f} s = {provider_1000 / ideal:.1f}x;  goal >= 40x;  "
          f"ours vs raw httpx async: {versus_raw:.2f}x faster")  # fmt: skip
    print()
    print("(c) import time, median of 5 fresh processes")
    print(f"  ours: import ligdicash                      {imports['ours'] * 1000:7.1f} ms")
    print(f"  ours: import ligdicash; ligdicash.Client    {imports['ours_client'] * 1000:7.1f} ms")
    print(f"  provider 1.0.5: import ligdicash            {imports['provider'] * 1000:7.1f} ms")
    print(f"  -> ours / provider = {imports['ours'] / imports['provider']:.2f}x (goal < 0.5x); "
          f"with Client loaded {imports['ours_client'] / imports['provider']:.2f}x")  # fmt: skip
    print()
    print("(d) peak RSS per runner process (MB)")
    for name, row in rows.items():
        print(f"  {name:44s} {row['peak_rss_mb']:7.1f}   (cpu {row['cpu_seconds']:.2f} s)")


if __name__ == "__main__":
    main()
