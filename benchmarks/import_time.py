"""``import ligdicash``: ours vs the provider's SDK, wall and CPU time, interleaved.

    .venv/bin/python benchmarks/import_time.py               # 21 rounds, about 10 s
    .venv/bin/python benchmarks/import_time.py --baseline-src ../main/src   # + another tree

Table (c) of ``run.py`` times 5 fresh processes per SDK one after the other, in wall time:
on a shared machine its ratio moves by ±0.1x between runs. Here each round starts one fresh
process per variant in turn (so load changes hit all alike), and each process also reports
its CPU time (``time.process_time``), which other processes' load barely moves. Medians.
Like ``run.py``, it lets the warm-up round write bytecode caches (``PYTHONDONTWRITEBYTECODE``
is dropped from the children's environment): a pip-installed SDK, the provider's included,
has them, and a source tree without them would be timed compiling itself.
``--baseline-src`` adds a row for another checkout's ``src`` (put first on ``PYTHONPATH``),
e.g. to compare a branch with ``main``. The provider's SDK is installed by ``run.py``'s
``ensure_provider_sdk`` (once, into the cache dir).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
from pathlib import Path

from run import (  # this directory is sys.path[0]
    DEFAULT_CACHE,
    PYTHON,
    ensure_provider_sdk,
    import_environment,
)

CODE = (
    "import sys, time; {prelude}w = time.perf_counter(); c = time.process_time(); "
    "import ligdicash; print(time.perf_counter() - w, time.process_time() - c)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src directory")
    args = parser.parse_args()
    sdk = ensure_provider_sdk(args.cache)
    variants: dict[str, tuple[str, dict[str, str]]] = {"ours": ("", {})}
    if args.baseline_src:
        src = str(args.baseline_src.resolve())
        variants["baseline"] = ("", {"PYTHONPATH": src})
    variants["provider 1.0.5"] = (f"sys.path.insert(0, {str(sdk)!r}); ", {})
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(args.rounds + 1):  # the first round only warms the disk cache
        for name, (prelude, env) in variants.items():
            out = subprocess.run(
                [PYTHON, "-c", CODE.format(prelude=prelude)],
                env={**import_environment(), **env},
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            samples[name].append((float(out[0]), float(out[1])))
    medians = {
        name: (
            statistics.median(w for w, _ in rows[1:]),
            statistics.median(c for _, c in rows[1:]),
        )
        for name, rows in samples.items()
    }
    provider_wall, provider_cpu = medians["provider 1.0.5"]
    print(f"import ligdicash, median of {args.rounds} interleaved rounds (goal: ours < 0.5x)")
    print(f"  {'':16s} {'wall ms':>8s} {'cpu ms':>8s} {'wall ratio':>11s} {'cpu ratio':>10s}")
    for name, (wall, cpu) in medians.items():
        print(
            f"  {name:16s} {wall * 1000:8.1f} {cpu * 1000:8.1f} "
            f"{wall / provider_wall:10.2f}x {cpu / provider_cpu:9.2f}x"
        )


if __name__ == "__main__":
    main()
