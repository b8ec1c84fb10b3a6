"""What the CLI's French costs at start-up: the gettext catalogs, and Babel if it formatted
the numbers.

    .venv/bin/python benchmarks/i18n_cost.py            # 15 rounds, about 20 s

Each round starts one fresh process per variant, in turn (load on the machine hits all
alike); each process imports the CLI (``ligdicash._cli``, what ``ligdicash ...`` imports
before doing anything), then times, in-process, what the variant adds: reading the French
catalog and formatting one message with an amount (ours), the same with the hand-written
table the catalogs replaced (``git show 5fc83d9:src/ligdicash/_i18n.py``, the last commit
before them, loaded from a temporary directory), or importing ``babel.numbers`` and
formatting that amount with it. Wall-clock medians, in milliseconds. Babel is needed for
the last rows (the ``dev`` group has it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "5fc83d9"  # the last commit with the hand-written MESSAGES table

PRELUDE = "import time, ligdicash._cli; w = time.perf_counter(); "
VARIANTS = {
    "gettext catalog + message (ours)": (
        "from ligdicash._i18n import format_amount, message; "
        "message('fr', 'cli.confirm_batch', count=3, amount=format_amount(5015, 'fr'))"
    )
    .replace("{", "{{")
    .replace("}", "}}"),
    "hand-written table + message (before)": (
        "import sys; sys.path.insert(0, {old!r}); import old_i18n; "
        "old_i18n.message('fr', 'cli.confirm_batch', count=3, amount=f'{{5015:,}}')"
    ),
    "import babel.numbers": "import babel.numbers",
    "babel: import + format_decimal(fr_FR)": (
        "import babel.numbers; babel.numbers.format_decimal(5015, locale='fr_FR')"
    ),
}


def one(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + code + "; print(time.perf_counter() - w)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    old = tempfile.mkdtemp(prefix="ligdicash-i18n-")
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:src/ligdicash/_i18n.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (Path(old) / "old_i18n.py").write_text(source, "utf-8")
    variants = {name: code.format(old=old) for name, code in VARIANTS.items()}
    for code in variants.values():  # warm-up: bytecode caches, disk cache
        one(code)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, code in variants.items():
            times[name].append(one(code))
    print(f"{'after importing ligdicash._cli':<42} {'median ms':>10} {'min ms':>8}")
    for name, values in times.items():
        print(f"{name:<42} {statistics.median(values):>10.2f} {min(values):>8.2f}")


if __name__ == "__main__":
    main()
