"""Print the kill rate per module of the last mutation run (``scripts/mutation.sh``).

Reads ``mutmut results --all true`` (one ``name: status`` line per mutant, the name being
``<module>.x_<function>__mutmut_<n>``). A mutant counts as killed when a test failed on it
or it hung (timeout); "no tests" and "survived" are not killed. Exits 1 when a module is
under the goal (95 %), or when no result was found.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

GOAL = 0.95
KILLED = {"killed", "timeout", "caught by type check"}


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(  # noqa: S603 - our venv's mutmut, constant arguments
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=False
    ).stdout
    by_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep or ".x" not in name:
            continue
        module = name.split(".x_", 1)[0].split(".x\u01c1", 1)[0]  # functions, or methods
        by_module[module][status] += 1
    if not by_module:
        print("no mutation results: run scripts/mutation.sh first")
        return 1
    worst = 1.0
    print(f"{'module':40} {'mutants':>7} {'killed':>6} {'rate':>6}  not killed")
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        killed = sum(n for status, n in counts.items() if status in KILLED)
        rate = killed / total if total else 1.0
        worst = min(worst, rate)
        rest = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in KILLED)
        print(f"{module:40} {total:7d} {killed:6d} {rate:6.1%}  {rest}")
    return 0 if worst >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
