"""Workers killed mid-batch on Redis and on RabbitMQ: nobody paid twice, nothing lost.

A short run of ``benchmarks/celery_soak.py`` (the long one: 500 payouts, 10 kills, 3
workers): two ``--pool solo`` workers join one batch through ``start_batch(copies=2)``;
each time the batch has moved on, one is killed with SIGKILL in the middle of its
``work_on_batch`` task and another started; the unacknowledged message comes back and
the new run turns the dead worker's in-flight payouts ``in_doubt`` instead of sending
them again. The sandbox's own payout list is the judge.
"""

from __future__ import annotations

from typing import Any

import pytest
from celery_helpers import soak


@pytest.mark.slow
@pytest.mark.parametrize("broker_kind", sorted(soak.BROKERS))
def test_killed_celery_workers_pay_nobody_twice_and_lose_nothing(broker_kind: str) -> None:
    result: dict[str, Any] = soak.soak(
        items=100, kills=4, procs=2, broker_kind=broker_kind, store="sqlite", seed=3, rate=20.0
    )
    # Killed while payouts were still pending. On Redis with kombu < 5.7, each new worker
    # waits out the killed one's visibility timeout, and the other often finishes first.
    slow_restore = broker_kind == "redis" and not soak.restores_often()
    assert result["kills"] >= (1 if slow_restore else 3), result
    assert result["paid_twice"] == 0, result
    assert result["lost"] == 0, result
    assert result["completed"] + result["failed"] == 100, result
    assert result["broker_leftovers"] == 0, result


@pytest.mark.parametrize("broker_kind", sorted(soak.BROKERS))
def test_a_lone_worker_killed_mid_batch_leaves_its_message_to_the_next_one(
    broker_kind: str,
) -> None:
    # One worker, one message: once it is killed, only the broker's redelivery of the
    # unacknowledged message (acks_late) can send the rest of the batch.
    result: dict[str, Any] = soak.soak(
        items=30, kills=1, procs=1, broker_kind=broker_kind, store="sqlite", seed=5
    )
    assert result["kills"] == 1, result
    assert (result["paid_twice"], result["lost"]) == (0, 0), result
    assert result["completed"] + result["failed"] == 30, result


@pytest.mark.parametrize("broker_kind", sorted(soak.BROKERS))
def test_a_pool_child_killed_mid_batch_puts_its_message_back(broker_kind: str) -> None:
    # One message, one prefork worker with two children: the child sending the batch is
    # killed; only the requeue of its message (reject_on_worker_lost) can finish the batch.
    result: dict[str, Any] = soak.soak(
        items=60, kills=1, procs=1, broker_kind=broker_kind, seed=9, pool="prefork", copies=1
    )
    assert result["kills"] == 1, result
    assert (result["paid_twice"], result["lost"]) == (0, 0), result
    assert result["completed"] + result["failed"] == 60, result
