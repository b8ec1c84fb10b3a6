"""Prepare a workspace to mutate ONE module with only the tests that concern it.

``python scripts/mutation_module.py settle`` creates ``.mutation/settle/``: symbolic links to
``src/``, ``tests/`` and the files the tests read, and a ``pyproject.toml`` equal to ours but
for ``[tool.mutmut]``'s ``only_mutate`` (the module) and ``pytest_add_cli_args_test_selection``
(the test files below). It prints the directory; ``scripts/mutation.sh settle`` runs mutmut
there.

Why: mutmut reads one configuration, and before the first mutant it runs every selected
test once under its tracer to learn which tests call which function (about 15 minutes for
the four test folders on two busy cores). One module's tests take a minute or two, and its
results (``.mutation/<module>/mutants/``) do not go stale when another module changes.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The slow tests the main configuration leaves out (see pyproject.toml) stay out.
_SLOW = [
    "--ignore=tests/payouts/test_soak.py",
    "--ignore=tests/stores/test_store_django_orm.py",
    "--ignore=tests/reconcile/test_reconciler_alone_finds_every_payment.py",
    "--deselect=tests/payouts/test_postgres_ledger.py::"
    "test_payouts_work_processes_join_a_run_on_postgres",
    "--deselect=tests/payouts/test_ledger_faults.py::"
    "test_postgres_going_away_mid_batch_stops_the_run_loses_nothing_and_it_resumes",
]

#: module key -> (the files mutated, the tests run for them). The three store modules share
#: their tests, whose first traced run is the long part: one key.
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "settle": (
        ["src/ligdicash/payouts/_settle.py"],
        [
            "tests/payouts/test_settlement_guards.py",
            "tests/payouts/test_forged_payout_callbacks.py",
            "tests/payouts/test_runner.py",
            "tests/payouts/test_inflight_runner.py",
            "tests/payouts/test_settle_mutants.py",
        ],
    ),
    # The ledger's own tests; the runner's and the CLI's (minutes each) go through it too
    # but pin little more of it.
    "ledger": (
        ["src/ligdicash/payouts/_ledger.py"],
        [
            "tests/payouts/test_ledger.py",
            "tests/payouts/test_account_ledger.py",
            "tests/payouts/test_reference_race.py",
            "tests/payouts/test_ledger_in_store.py",
            "tests/payouts/test_postgres_ledger.py",
            "tests/payouts/test_ledger_faults.py",
            "tests/payouts/test_paused_worker.py",
            "tests/payouts/test_settlement_guards.py",
            "tests/payouts/test_settle_mutants.py",
            "tests/payouts/test_ledger_mutants.py",
        ],
    ),
    "states": (
        ["src/ligdicash/payouts/_states.py"],
        [
            "tests/payouts/test_states.py",
            "tests/payouts/test_ledger.py",
            "tests/payouts/test_runner.py",
            "tests/payouts/test_states_mutants.py",
        ],
    ),
    "stores": (
        [
            "src/ligdicash/_stores/_postgres.py",
            "src/ligdicash/_stores/_sql.py",
            "src/ligdicash/_stores/_sql_base.py",
            "src/ligdicash/_stores/_sql_claims.py",
            "src/ligdicash/_stores/_sql_inbox.py",
            "src/ligdicash/_stores/_sql_registry.py",
        ],
        ["tests/stores"],
    ),
    "inbox": (
        ["src/ligdicash/contrib/_inbox.py"],
        [
            "tests/contrib/test_callback_inbox.py",
            "tests/contrib/test_inbox_lease_renewal.py",
            "tests/contrib/test_sweeper_keeps_sweeping.py",
            "tests/contrib/test_forged_callbacks.py",
            "tests/contrib/test_django_inbox_purge.py",
            "tests/contrib/test_callback_body_size.py",
            "tests/contrib/test_heartbeat_stop.py",
            "tests/contrib/test_inbox_mutants.py",
            "tests/stores/test_inbox_retention.py",
            "tests/test_inbox_command.py",
        ],
    ),
    "reconcile_round": (["src/ligdicash/_reconcile_round.py"], ["tests/reconcile"]),
}

_LINKED = ["src", "tests", "docs", "examples", "benchmarks", "README.md"]


def _toml_list(items: list[str]) -> str:
    return "[\n" + "".join(f'  "{item}",\n' for item in items) + "]"


def prepare(key: str) -> Path:
    """Create (or refresh) ``.mutation/<key>/`` and return it."""
    sources, tests = MODULES[key]
    work = ROOT / ".mutation" / key
    work.mkdir(parents=True, exist_ok=True)
    for name in _LINKED:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(os.path.relpath(ROOT / name, work))
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    section = text.index("[tool.mutmut]")
    head, tail = text[:section], text[section:]
    existing = [test for test in tests if (ROOT / test).exists()]
    tail = re.sub(r"(?ms)^only_mutate = \[.*?^\]", f"only_mutate = {_toml_list(sources)}", tail)
    tail = re.sub(
        r"(?ms)^pytest_add_cli_args_test_selection = \[.*?^\]",
        f"pytest_add_cli_args_test_selection = {_toml_list(existing + _SLOW)}",
        tail,
    )
    (work / "pyproject.toml").write_text(head + tail, "utf-8")
    return work


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in MODULES:
        print(f"usage: {sys.argv[0]} {{{','.join(MODULES)}}}", file=sys.stderr)
        return 2
    print(prepare(sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
