"""Fixtures of the Celery tests: a broker queue of the run's own (Redis, then RabbitMQ) and
worker processes (``celery -A celery_shop worker --pool solo``), with the soak benchmark's
helpers (``celery_helpers``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from celery_helpers import Broker, Workers, soak


@pytest.fixture(params=sorted(soak.BROKERS))
def broker(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Redis, then RabbitMQ, with a queue (and Redis key prefix) of this test's own,
    removed afterwards. A missing server fails the test, never skips it."""
    kind = str(request.param)
    made = Broker(kind, soak.BROKERS[kind])
    yield made
    made.purge()
    assert made.leftovers() == 0


@pytest.fixture
def workers_for(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``workers_for(broker, sandbox, **env)``: worker processes reaching ``broker`` and
    the sandbox (``env`` adds variables); all killed at the end of the test."""
    made: list[Any] = []

    def make(broker: Any, sandbox: Any, **env: str) -> Any:
        workers = Workers.make(broker, sandbox, tmp_path / f"logs-{len(made)}", **env)
        made.append(workers)
        return workers

    yield make
    for workers in made:
        workers.stop_all()


@pytest.fixture
def shop_tasks(broker: Any) -> Iterator[Any]:
    """The shop's ``LigdicashTasks`` in this process, as the web app that queues work."""
    tasks = soak.caller_tasks(broker)
    yield tasks
    tasks.app.close()
