"""The Celery app the tests' worker processes run: ``celery -A celery_shop worker``.

Everything comes from the environment the test gives the worker: the broker
(``SHOP_BROKER``), the run's own queue (``SHOP_QUEUE``, also the Redis key prefix), the
sandbox's credentials (``LIGDICASH_*``) and the stores (``LIGDICASH_STORE_URL``,
``LIGDICASH_PAYOUTS_STORE``), read by the default factory,
:func:`ligdicash.contrib.celery.resources_from_settings`. The handler appends the
reference of each delivered payment to ``SHOP_DELIVERIES`` (a file), one line each.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from ligdicash import Transaction
from ligdicash.contrib.celery import LigdicashTasks

#: Seconds after which Redis delivers an unacknowledged message again (a killed worker's).
REDIS_VISIBILITY_TIMEOUT = 8


def celery_config(broker: str, queue: str) -> dict[str, Any]:
    """The settings of an app whose every message and key is the run's own (``queue``)."""
    config: dict[str, Any] = {
        "broker_url": broker,
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
        "task_ignore_result": True,
        # One message at a time per worker process: a long task does not sit on others'.
        "worker_prefetch_multiplier": 1,
        # No broadcast exchanges (remote control, events): nothing shared with other runs.
        "worker_enable_remote_control": False,
        "worker_send_task_events": False,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if broker.startswith("redis"):
        config["broker_transport_options"] = {
            "global_keyprefix": f"{queue}:",
            # A killed worker's message comes back after 8 s (checked every second), not
            # after the default hour; the time budget of a batch task stays under it.
            "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    return config


def deliver(transaction: Transaction) -> None:
    reference = str(transaction.custom_data.get("transaction_id"))
    with open(os.environ["SHOP_DELIVERIES"], "a", encoding="utf-8") as handle:
        handle.write(reference + "\n")


def make_app(broker: str, queue: str) -> tuple[Celery, LigdicashTasks]:
    """The shop's app and its ligdicash tasks (resources from the environment)."""
    app = Celery("celery_shop")
    app.conf.update(celery_config(broker, queue))
    app.conf.ligdicash_handler = os.environ.get("SHOP_HANDLER", "")
    tasks = LigdicashTasks(
        app,
        reconcile_options={"schedule": (0.0, 1.0), "lease_seconds": 5.0},
        time_budget=float(os.environ.get("SHOP_TIME_BUDGET", "4")),
    )
    return app, tasks


if "SHOP_BROKER" in os.environ:  # a worker process (the tests import make_app only)
    app, tasks = make_app(os.environ["SHOP_BROKER"], os.environ["SHOP_QUEUE"])
