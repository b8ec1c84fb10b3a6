#!/usr/bin/env bash
# Mutation testing of the modules that decide a payment's or a payout's fate (issue 17):
# payouts/_settle.py, _ledger.py, _states.py; the stores' claims (_stores/_postgres.py,
# _sql.py, _sql_registry.py); contrib/_inbox.py; _reconcile_round.py. mutmut changes one
# thing at a time (a comparison, a constant, an argument...) and runs the tests that call
# the changed function; a mutant no test notices "survived": a bug the suite would let in.
#
# NOT in the default CI: it is long. mutmut first runs the test folders twice (to learn
# which tests call which function, then to check they pass: about 15 min on 2 busy cores),
# then ~2,000 mutants; the first full run did not end within an hour on a machine shared
# with other jobs (load 5-20). mutmut keeps its results in mutants/: a re-run only runs
# the mutants not checked yet or whose function changed, so a run can be stopped (Ctrl-C)
# and resumed, or given one module at a time (below).
#
# Setup, once (the dev venv, plus mutmut in its own dependency group):
#   python3 -m venv .venv && .venv/bin/pip install -e . --group dev --group mutation
# PostgreSQL and Redis as for the tests (scripts/test.sh starts them on Debian), or set
# LIGDICASH_TEST_PG_URL / LIGDICASH_TEST_REDIS_URL.
#
# Usage:
#   bash scripts/mutation.sh                            # every configured module
#   bash scripts/mutation.sh "ligdicash.payouts._settle*"   # one module's mutants
#   MUTATION_JOBS=4 bash scripts/mutation.sh            # parallel test runs (default 2)
#   bash scripts/mutation.sh settle                     # one module, with only its tests
# A module key (settle, ledger, states, stores, inbox, reconcile_round;
# see scripts/mutation_module.py) runs mutmut in .mutation/<key>/ with that module alone and
# the test files listed for it: minutes instead of an hour, its results kept apart.
# Then: .venv/bin/mutmut results (the survivors), .venv/bin/mutmut show NAME (a diff); for
# a module key, from .mutation/<key>/ (../../.venv/bin/mutmut ...). Kill rates measured, the
# equivalent mutants and how to re-run survivors: docs/mutation-testing.md.
# The modules and the test folders are in pyproject.toml, [tool.mutmut].
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$PWD/.venv/bin/python}
REPORT=$(realpath scripts/mutation_report.py)
if [ $# -ge 1 ] && [[ "$1" != *.* ]]; then  # a module key, not a mutant name
  cd "$("$PY" scripts/mutation_module.py "$1")"
  shift
fi
export LIGDICASH_TEST_PG_URL=${LIGDICASH_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export LIGDICASH_TEST_REDIS_URL=${LIGDICASH_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
"$PY" -m mutmut run --max-children "${MUTATION_JOBS:-2}" "$@" || true  # the report says how it went
"$PY" "$REPORT"
