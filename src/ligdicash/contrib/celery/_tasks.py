"""The Celery tasks: a reconcile round, an inbox sweep, one callback, work on a payout batch.

Each task is idempotent by construction, so Celery may run it late, twice, or again after
a worker died (``acks_late``: the message is acknowledged only once the task returned, and
a killed worker's message is delivered again):

* ``reconcile``: one round; the registry leases each due payment to one poller at a time
  and the processor's claim runs your handler once per payment, whoever gets there first;
* ``sweep_inbox`` / ``process_callback``: the inbox leases each stored callback to one
  worker, and its claim is the same as the callback endpoint's;
* ``work_on_batch``: the ledger commits ``sending`` before a payout leaves, claims each
  payout for one worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and never re-sends one
  that may have left (a dead worker's are ``in_doubt``, for a person): a redelivered or a
  duplicated message only adds a worker to the batch.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

from ..._exceptions import InvalidRequestError, StoreUnavailableError
from ._resources import PerProcess, Resources, ResourcesFactory, resources_from_settings

__all__ = ["DEFAULT_TIME_BUDGET", "LigdicashTasks"]

logger = logging.getLogger("ligdicash.celery")

#: Seconds one ``work_on_batch`` task works before it hands over to a fresh message: under
#: the Redis broker's ``visibility_timeout`` (after which an unacknowledged message is
#: delivered again) and RabbitMQ's ``consumer_timeout``, and short enough that a solo or
#: busy worker answers its broker heartbeats in time.
DEFAULT_TIME_BUDGET = 120.0
#: Seconds before the next try when nothing could be sent (network) or the ledger failed.
RETRY_AFTER = 10.0

#: The options of ``work_on_batch`` that ``start_batch`` passes on.
BATCH_OPTIONS = frozenset({"workers", "in_flight", "rate", "settle_timeout", "callback_url"})

TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    # Acknowledged once done: a worker killed mid-task leaves its message to another one.
    "acks_late": True,
    # A prefork child killed mid-task (OOM, kill -9) also sends it back to the queue.
    "reject_on_worker_lost": True,
}


class LigdicashTasks:
    """Register the ligdicash tasks on a Celery app.

    Args:
        app: your ``Celery()`` instance.
        resources: a function returning this process's :class:`Resources` (called once per
            worker process, at the first task; default: :func:`resources_from_settings` of
            ``app.conf``).
        prefix: the tasks' names are ``"<prefix>.reconcile"``, ``"<prefix>.sweep_inbox"``,
            ``"<prefix>.process_callback"``, ``"<prefix>.work_on_batch"``.
        reconcile_options: keyword arguments of :class:`~ligdicash.Reconciler` for the
            ``reconcile`` task (``schedule``, ``batch_size``, ``lease_seconds``...).
        time_budget: seconds a ``work_on_batch`` task works before handing over to a new
            message (see :data:`DEFAULT_TIME_BUDGET`).
        queue: the queue every task goes to (a ``task_routes`` entry for
            ``"<prefix>.*"``, put first; default: the app's default queue).

    The tasks are attributes (``tasks.reconcile``, ``tasks.sweep_inbox``,
    ``tasks.process_callback``, ``tasks.work_on_batch``): Celery task objects, with
    ``.delay()`` and ``.apply()``.

    Example::

        # shop/tasks.py (the module your worker imports: celery -A shop.tasks worker)
        from celery import Celery
        from ligdicash.contrib.celery import LigdicashTasks, Resources

        app = Celery("shop", broker="redis://localhost:6379/0")

        def resources() -> Resources:
            store = ligdicash.open_store("postgresql://shop@db/shop")
            client = ligdicash.Client(store=store)
            processor = CallbackProcessor(lookup=ligdicash.registry_lookup(store),
                                          handler=deliver_order, client=client, store=store)
            return Resources(client=client, store=store, processor=processor,
                             ledger=open_ledger("postgresql://shop@db/shop"))

        ligdicash_tasks = LigdicashTasks(app, resources)
        app.conf.beat_schedule.update(ligdicash_tasks.beat_schedule())
    """

    def __init__(
        self,
        app: Any,
        resources: Optional[ResourcesFactory] = None,
        *,
        prefix: str = "ligdicash",
        reconcile_options: Optional[dict[str, Any]] = None,
        time_budget: float = DEFAULT_TIME_BUDGET,
        queue: Optional[str] = None,
    ) -> None:
        if (
            isinstance(time_budget, bool)
            or not isinstance(time_budget, (int, float))
            or not (time_budget > 0)
        ):
            raise InvalidRequestError(f"time_budget must be > 0, got {time_budget!r}")
        self.app = app
        self.prefix = prefix
        self.reconcile_options = dict(reconcile_options or {})
        self.time_budget = float(time_budget)
        self.queue = queue
        factory = resources if resources is not None else self._from_settings
        self._resources = PerProcess(factory)
        options = dict(TASK_OPTIONS)
        if queue:
            # A route, not the task attribute (deprecated by Celery 5.x): it also covers
            # your own .delay() calls and beat's messages.
            existing = app.conf.task_routes
            if not existing:
                existing = ()
            elif not isinstance(existing, (list, tuple)):
                existing = (existing,)
            app.conf.task_routes = ({f"{prefix}.*": {"queue": queue}}, *existing)
        self.reconcile = self._task("reconcile", self._reconcile, options)
        self.sweep_inbox = self._task("sweep_inbox", self._sweep_inbox, options)
        self.process_callback = self._task("process_callback", self._process_callback, options)
        self.work_on_batch = self._task("work_on_batch", self._work_on_batch, options)
        from celery import signals

        # weak=False: the signal keeps this object's bound method (and so the resources to
        # close) alive; a weak reference to a bound method dies at once.
        signals.worker_process_shutdown.connect(self.close, weak=False)
        signals.worker_shutdown.connect(self.close, weak=False)

    def _from_settings(self) -> Resources:
        return resources_from_settings(self.app.conf)

    def _task(self, name: str, run: Callable[..., Any], options: dict[str, Any]) -> Any:
        def body(task: Any, *args: Any, **kwargs: Any) -> Any:
            return run(task, *args, **kwargs)

        body.__name__ = body.__qualname__ = name
        body.__doc__ = run.__doc__
        body.__module__ = __name__
        # shared=False: registered on this app only (a shared task is added to every app
        # created in the process, with this object's resources).
        return self.app.task(name=f"{self.prefix}.{name}", shared=False, **options)(body)

    def close(self, *args: Any, **kwargs: Any) -> None:
        """Close this process's :class:`Resources`, if it built them (a worker does it
        when its process ends; ``args`` are the signals'). Safe to call twice."""
        self._resources.close()

    def resources(self) -> Resources:
        """This process's :class:`Resources` (built by the factory on first use)."""
        return self._resources.get()

    # -- the tasks ---------------------------------------------------------------------------
    def _reconcile(self, task: Any, **options: Any) -> dict[str, int]:
        """One reconciliation round (``Reconciler.run_once``); returns its summary's counts.

        Keyword arguments override ``reconcile_options`` for this round.

        Raises:
            ConfigurationError: no store in the resources.
            StoreUnavailableError: the store cannot be reached (the next tick tries again).
        """
        from ... import Reconciler

        res = self.resources()
        reconciler = Reconciler(
            res.need_store("reconcile"),
            client=res.client,
            processor=res.processor,
            **{**self.reconcile_options, **options},
        )
        return reconciler.run_once().to_dict()

    def _sweep_inbox(self, task: Any) -> int:
        """Process every stored callback whose worker died or gave up; returns how many.

        Raises:
            ConfigurationError: no processor in the resources.
        """
        return self.resources().need_processor("sweep_inbox").sweep()

    def _process_callback(self, task: Any, digest: str) -> dict[str, str]:
        """Process the inbox entry ``digest`` (what ``processor.accept(...)`` returned):
        ``{"outcome": ..., "reason": ...}``; an entry another worker holds or finished is
        left alone (``"inbox_taken"``).

        Raises:
            ConfigurationError: no processor in the resources.
        """
        result = self.resources().need_processor("process_callback").process_inbox(digest)
        return {"outcome": result.outcome, "reason": result.reason}

    def _work_on_batch(
        self,
        task: Any,
        batch_id: str,
        *,
        workers: int = 4,
        in_flight: int = 8,
        rate: Optional[float] = None,
        settle_timeout: float = 5.0,
        callback_url: str = "",
        unpause: bool = False,
        again: bool = True,
    ) -> dict[str, Any]:
        """Join the payout batch ``batch_id`` for up to ``time_budget`` seconds: claim and
        send its pending payouts, settle the sent ones; then, while some are left to send
        or to settle, queue the next ``work_on_batch`` for it (``again=False``: do not).

        Returns ``{"batch", "stopped", "recovered", "detail", "counts", "next"}``:
        ``stopped`` is the run's (``""``, ``"interrupted"`` for the time budget,
        ``"paused"``, ``"network"``, ``"ledger"``), ``next`` the seconds before the next
        task (``None``: none queued). A paused batch (a refusal about the account) gets no
        next task: fix the cause, then :meth:`start_batch` with ``unpause=True``.

        Raises:
            ConfigurationError: no ledger in the resources.
            InvalidRequestError: the batch is not in the ledger.
        """
        from ...payouts import BatchRunner

        res = self.resources()
        ledger = res.need_ledger("work_on_batch")
        runner = BatchRunner(
            ledger,
            res.client,
            batch_id,
            workers=workers,
            in_flight=in_flight,
            rate=rate,
            settle_timeout=settle_timeout,
            callback_url=callback_url,
            unpause=unpause,
        )
        budget = threading.Timer(self.time_budget, runner.stop)
        budget.daemon = True
        budget.start()
        try:
            result = runner.run()
        except StoreUnavailableError:
            # The ledger is down: nothing was recorded as sent that was not; try later.
            raise task.retry(countdown=RETRY_AFTER, max_retries=None) from None
        finally:
            budget.cancel()
        info = result.info
        delay: Optional[float] = None
        if result.stopped in ("", "interrupted", "network", "ledger"):
            if info.count("pending"):
                delay = RETRY_AFTER if result.stopped in ("network", "ledger") else 0.0
            elif info.count("sent"):
                # The payouts' status-call interval: 30 s off a loopback sandbox (LigdiCash
                # asks for 30 to 60 s between two status calls of a payout).
                delay = runner.poll_interval
        if again and delay is not None:
            # Queued before this message is acknowledged: a worker killed between the two
            # leaves two messages, i.e. one more worker on the batch, never a second payment.
            kwargs = {
                "workers": workers,
                "in_flight": in_flight,
                "rate": rate,
                "settle_timeout": settle_timeout,
                "callback_url": callback_url,
            }
            task.apply_async(args=(batch_id,), kwargs=kwargs, countdown=delay)
        return {
            "batch": batch_id,
            "stopped": result.stopped,
            "recovered": result.recovered,
            "detail": result.detail,
            "counts": dict(info.counts),
            "next": delay if again else None,
        }

    # -- helpers for the caller --------------------------------------------------------------
    def start_batch(
        self, batch_id: str, *, copies: int = 1, unpause: bool = True, **options: Any
    ) -> list[Any]:
        """Queue ``copies`` ``work_on_batch`` tasks for ``batch_id`` (several workers, on
        one or several machines, join the batch; each payout is claimed by one of them).

        ``unpause`` clears a pause (a refusal about the account) in the first copy only.
        ``options`` are ``work_on_batch``'s (``workers``, ``in_flight``, ``rate``,
        ``settle_timeout``, ``callback_url``). Returns the ``AsyncResult`` of each copy.

        Raises:
            InvalidRequestError: ``copies`` < 1, an unknown option.
        """
        if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
            raise InvalidRequestError(f"copies must be an int >= 1, got {copies!r}")
        unknown = sorted(set(options) - BATCH_OPTIONS)
        if unknown:
            # Refused here, not by each worker once the messages are on the queue.
            raise InvalidRequestError(
                f"unknown work_on_batch option(s) {', '.join(unknown)}: "
                f"expected {', '.join(sorted(BATCH_OPTIONS))}"
            )
        return [
            self.work_on_batch.apply_async(
                args=(batch_id,), kwargs={**options, "unpause": unpause and n == 0}
            )
            for n in range(copies)
        ]

    def beat_schedule(
        self,
        *,
        reconcile_every: Optional[float] = 60.0,
        sweep_every: Optional[float] = 30.0,
    ) -> dict[str, dict[str, Any]]:
        """Entries for ``app.conf.beat_schedule``: a reconcile round every
        ``reconcile_every`` seconds and an inbox sweep every ``sweep_every`` (``None``:
        leave that one out).

        Each tick expires after its own period: with the workers down, ticks do not pile up
        in the queue, and the next round does what a missed one would have done.

        Raises:
            InvalidRequestError: a period <= 0.
        """
        schedule: dict[str, dict[str, Any]] = {}
        for key, task, every in (
            ("reconcile", "reconcile", reconcile_every),
            ("sweep-inbox", "sweep_inbox", sweep_every),
        ):
            if every is None:
                continue
            if isinstance(every, bool) or not every > 0:
                raise InvalidRequestError(f"a beat period must be > 0 seconds, got {every!r}")
            schedule[f"{self.prefix}-{key}"] = {
                "task": f"{self.prefix}.{task}",
                "schedule": float(every),
                "options": {"expires": float(every)},
            }
        return schedule
