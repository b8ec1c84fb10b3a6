"""What the Celery tasks work with (:class:`Resources`), built once per worker process.

A worker process opens its client, store, processor and ledger the first time a task needs
them, through the factory the application registers (or :func:`resources_from_settings`),
and closes them when the process ends. A forked child (Celery's prefork pool) builds its
own: a database pool, a Redis connection or an httpx pool inherited from the parent shares
the parent's sockets, which two processes cannot use at once.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..._exceptions import ConfigurationError

if TYPE_CHECKING:
    from ... import Client, Store
    from ...payouts import Ledger
    from .._handler import CallbackProcessor

__all__ = ["Resources", "ResourcesFactory", "resources_from_settings"]

logger = logging.getLogger("ligdicash.celery")

#: Where :func:`resources_from_settings` looks, setting (``app.conf``) then environment.
STORE_SETTING, STORE_ENV = "ligdicash_store_url", "LIGDICASH_STORE_URL"
LEDGER_SETTING, LEDGER_ENV = "ligdicash_payouts_store", "LIGDICASH_PAYOUTS_STORE"
HANDLER_SETTING = "ligdicash_handler"
ON_CANCELLED_SETTING = "ligdicash_on_cancelled"


@dataclass
class Resources:
    """The objects the tasks use in one worker process.

    Attributes:
        client: the :class:`~ligdicash.Client` whose account the tasks act for (status
            calls, payouts).
        store: the store clients record payments into and callbacks are claimed in
            (``reconcile``, ``sweep_inbox``, ``process_callback``).
        processor: the :class:`~ligdicash.contrib.CallbackProcessor` that runs your handler
            once per payment; it must claim in the same store as your callback endpoint's
            processor (``reconcile`` without one only records statuses).
        ledger: the payouts :class:`~ligdicash.payouts.Ledger` (``work_on_batch``); several
            machines share a batch through a PostgreSQL ledger.

    :meth:`close` closes what it holds; the tasks call it when the worker process ends.
    """

    client: Client
    store: Optional[Store] = None
    processor: Optional[CallbackProcessor] = None
    ledger: Optional[Ledger] = None

    def need_store(self, task: str) -> Store:
        """The store, or ``ConfigurationError`` naming ``task``, which needs it."""
        if self.store is None:
            raise ConfigurationError(f"the {task} task needs Resources(store=...)")
        return self.store

    def need_processor(self, task: str) -> CallbackProcessor:
        """The processor, or ``ConfigurationError`` naming ``task``, which needs it."""
        if self.processor is None:
            raise ConfigurationError(f"the {task} task needs Resources(processor=...)")
        return self.processor

    def need_ledger(self, task: str) -> Ledger:
        """The ledger, or ``ConfigurationError`` naming ``task``, which needs it."""
        if self.ledger is None:
            raise ConfigurationError(f"the {task} task needs Resources(ledger=...)")
        return self.ledger

    def close(self) -> None:
        """Close the ledger, the store and the client (each once; errors are logged)."""
        for name in ("ledger", "store", "client"):
            thing = getattr(self, name)
            if thing is None:
                continue
            try:
                thing.close()
            except Exception as exc:  # closing at exit: nothing to do but say it
                logger.warning("closing the %s failed: %s", name, type(exc).__name__)


ResourcesFactory = Callable[[], Resources]


def _setting(conf: Any, name: str, env: Optional[str] = None) -> str:
    value = conf.get(name) if conf is not None else None
    if not value and env:
        value = os.environ.get(env)
    return str(value or "")


def resources_from_settings(conf: Any = None) -> Resources:
    """The default factory: everything from the Celery app's settings and the environment,
    as ``ligdicash reconcile`` and ``ligdicash payouts work`` take theirs.

    * the client: ``ligdicash.Client()`` (``LIGDICASH_API_KEY``, ``LIGDICASH_AUTH_TOKEN``,
      ``LIGDICASH_BASE_URL``...);
    * the store: ``app.conf.ligdicash_store_url``, else ``LIGDICASH_STORE_URL`` (none: the
      payments tasks refuse to run);
    * the processor: when ``app.conf.ligdicash_handler`` names ``module:function``, a
      :class:`~ligdicash.contrib.CallbackProcessor` looking payments up in the store's
      registry and claiming in it (``ligdicash_on_cancelled`` likewise);
    * the ledger: ``app.conf.ligdicash_payouts_store``, else ``LIGDICASH_PAYOUTS_STORE``,
      else the account's ledger (``account_ledger_url``: one machine).

    Raises:
        ConfigurationError: no credentials, a bad URL, a handler that does not import.
    """
    from ... import Client, open_store, registry_lookup
    from ..._reconcile import import_handler
    from ...payouts import account_ledger_url, open_ledger

    client = Client()
    resources = Resources(client=client)
    try:
        store_url = _setting(conf, STORE_SETTING, STORE_ENV)
        if store_url:
            resources.store = open_store(store_url)
        handler = _setting(conf, HANDLER_SETTING)
        if handler:
            from .._handler import CallbackProcessor

            on_cancelled = _setting(conf, ON_CANCELLED_SETTING)
            store = resources.need_store(f"{HANDLER_SETTING} ({handler})")
            resources.processor = CallbackProcessor(
                lookup=registry_lookup(store),
                handler=import_handler(handler),
                on_cancelled=import_handler(on_cancelled) if on_cancelled else None,
                client=client,
                store=store,
            )
        ledger_url = _setting(conf, LEDGER_SETTING, LEDGER_ENV) or account_ledger_url(client)
        resources.ledger = open_ledger(ledger_url)
    except BaseException:
        resources.close()
        raise
    return resources


class PerProcess:
    """One :class:`Resources` per process, built on first use by ``factory``.

    A child forked after the parent built its own builds anew, and leaves the parent's
    objects alone (closing them would close the parent's sockets).
    """

    def __init__(self, factory: ResourcesFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._pid = 0
        self._value: Optional[Resources] = None

    def get(self) -> Resources:
        """This process's resources (built now if needed).

        Raises:
            ConfigurationError: the factory refused (and whatever else it raises).
        """
        pid = os.getpid()
        with self._lock:
            if self._value is None or self._pid != pid:
                value = self._factory()
                if not isinstance(value, Resources):
                    raise ConfigurationError(
                        f"the ligdicash resources factory returned {type(value).__name__}, "
                        "not Resources"
                    )
                self._value, self._pid = value, pid
            return self._value

    def close(self) -> None:
        """Close this process's resources, if it built them. Safe to call twice."""
        with self._lock:
            value, self._value = self._value, None
            mine = self._pid == os.getpid()
        if value is not None and mine:
            value.close()
