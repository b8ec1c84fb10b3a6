#!/usr/bin/env bash
# Builds what we would publish and proves it works on its own: wheel + sdist (python -m
# build), `twine check --strict`, the wheel's contents and size (scripts/check_wheel.py),
# then a fresh virtualenv that installs the built WHEEL (not the source tree) with
# [sandbox,cli] and runs `ligdicash demo` and scripts/dist_smoke.py from a directory
# outside the repository. Usage: bash scripts/check_dist.sh  (needs the dev group's build
# and twine in .venv, or PYTHON=/path/to/python that has them).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PY=${PYTHON:-$REPO/.venv/bin/python}
START=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ligdicash-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "== building wheel and sdist"
"$PY" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
ls -l "$WORK/dist"

echo "== twine check --strict"
"$PY" -m twine check --strict "$WORK"/dist/*

echo "== wheel contents"
"$PY" scripts/check_wheel.py "$WORK"/dist/*.whl "$WORK"/dist/*.tar.gz

echo "== fresh venv with the built wheel [sandbox,cli]"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
WHEEL=$(ls "$WORK"/dist/*.whl)
"$WORK/venv/bin/python" -m pip install -q "${WHEEL}[sandbox,cli]"

# Outside the repository, so nothing can import the source tree by accident.
mkdir -p "$WORK/elsewhere"
cd "$WORK/elsewhere"
echo "== ligdicash demo (installed wheel)"
"$WORK/venv/bin/ligdicash" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
tail -n 3 "$WORK/demo.log"
echo "== smoke test (installed wheel)"
"$WORK/venv/bin/python" "$REPO/scripts/dist_smoke.py"

echo "== dist check passed in $(( $(date +%s) - START )) s"
