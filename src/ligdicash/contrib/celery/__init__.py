"""LigdiCash's background work as Celery tasks that scale out over workers and machines.

::

    # shop/tasks.py (the module your workers import: celery -A shop.tasks worker)
    from celery import Celery
    from ligdicash.contrib.celery import LigdicashTasks

    app = Celery("shop", broker="redis://localhost:6379/0")
    app.conf.ligdicash_store_url = "postgresql://shop@db/shop"      # payments, callbacks
    app.conf.ligdicash_handler = "shop.payments:deliver_order"       # run once per payment
    app.conf.ligdicash_payouts_store = "postgresql://shop@db/shop"  # the payouts ledger
    ligdicash_tasks = LigdicashTasks(app)            # or LigdicashTasks(app, my_resources)
    app.conf.beat_schedule.update(ligdicash_tasks.beat_schedule())  # reconcile, sweep

    ligdicash_tasks.start_batch(batch_id, copies=4)  # four workers join a payout batch

The tasks (``reconcile``, ``sweep_inbox``, ``process_callback``, ``work_on_batch``) are
idempotent by construction and run with ``acks_late``: a message delivered twice, or again
after its worker was killed, never runs a handler twice nor sends a payout twice (the
store's claims and the payouts ledger's decide, not the broker). Each worker process opens
its own client, store and ledger (:class:`Resources`) at its first task.

Needs ``pip install 'ligdicash[celery]'``. See ``docs/celery.md``.
"""

from __future__ import annotations

try:
    import celery  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "ligdicash.contrib.celery needs Celery: pip install 'ligdicash[celery]'"
    ) from exc

from ._resources import Resources, ResourcesFactory, resources_from_settings
from ._tasks import DEFAULT_TIME_BUDGET, LigdicashTasks

__all__ = [
    "DEFAULT_TIME_BUDGET",
    "LigdicashTasks",
    "Resources",
    "ResourcesFactory",
    "resources_from_settings",
]
