#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh Debian machine, then runs the checks and
# the tests: Debian's chromium (browser tests), PostgreSQL, Redis and RabbitMQ on 127.0.0.1
# (the store and Celery tests need real servers: when nothing listens on :5432 / :6379 /
# :5672, Debian's `postgresql`, `redis-server` and `rabbitmq-server` are installed and
# started, with trust auth for `postgres` on 127.0.0.1), a
# fresh virtualenv with the package and its dev extra, ruff, mypy --strict, pytest.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! listening 5432; then
  echo "== starting PostgreSQL on 127.0.0.1:5432"
  command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql/*/main >/dev/null 2>&1 \
    || apt_install postgresql
  PG_VERSION=$(ls /etc/postgresql | sort -n | tail -1)
  HBA=/etc/postgresql/$PG_VERSION/main/pg_hba.conf
  if ! $SUDO grep -q '^host all postgres 127.0.0.1/32 trust' "$HBA"; then
    # the tests connect as postgres without a password, from this machine only
    $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$HBA"
  fi
  $SUDO pg_ctlcluster "$PG_VERSION" main start 2>/dev/null \
    || $SUDO pg_ctlcluster "$PG_VERSION" main reload
  for _ in $(seq 1 60); do listening 5432 && break; sleep 0.5; done
fi
if ! listening 6379; then
  echo "== starting Redis on 127.0.0.1:6379"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  $SUDO service redis-server start >/dev/null 2>&1 \
    || $SUDO redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null
  for _ in $(seq 1 60); do listening 6379 && break; sleep 0.5; done
fi
if ! listening 5672; then
  # The Celery tests run workers against RabbitMQ (guest/guest, which Debian's package lets
  # in from 127.0.0.1 only) as well as Redis.
  echo "== starting RabbitMQ on 127.0.0.1:5672"
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  $SUDO service rabbitmq-server start >/dev/null 2>&1 \
    || $SUDO rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do listening 5672 && break; sleep 0.5; done
fi
export LIGDICASH_TEST_PG_URL=${LIGDICASH_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export LIGDICASH_TEST_REDIS_URL=${LIGDICASH_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (browser tests)"
  apt_install chromium
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing ligdicash and its dev dependency group"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e . --group dev

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
