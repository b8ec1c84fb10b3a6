"""``ligdicash.Reconciler``: poll the recorded payments still pending and settle them once.

A client given ``store=`` records every payment it creates (``_registry``). The reconciler
leases the payments due for a poll (one poller each, across processes and hosts), fetches
their statuses in bulk with bounded concurrency, and hands each final one to
:meth:`CallbackProcessor.reconcile <ligdicash.contrib.CallbackProcessor.reconcile>`, the
same exactly-once claim a callback goes through: a callback and a poll never both run the
handler. Payments still pending are polled again on a per-payment schedule, then marked
``expired``; a payment whose creation answer was lost (no token) is marked ``in_doubt``.

One round is a sans-IO generator (:func:`reconcile_round`) of ``ligdicash._drive``'s
effects; ``run_once`` and ``arun_once`` only hand it the client's bulk status call and the
processor's runs (blocking, or awaited) and drive it with ``drive`` / ``adrive``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._async_client import AsyncClient
from ._bulk import DEFAULT_CONCURRENCY
from ._client import Client
from ._drive import Call, Effect, adrive, drive
from ._exceptions import ConfigurationError, InvalidRequestError, LigdicashError
from ._reconcile_round import (
    DEFAULT_EXPIRE_AFTER,
    DEFAULT_IN_DOUBT_AFTER,
    DEFAULT_SCHEDULE,
    FetchStatuses,
    ProcessFinals,
    ReconcilePolicy,
    ReconcileSummary,
    reconcile_round,
)
from ._registry import StoreLike, open_registry

if TYPE_CHECKING:
    from ._stores import Store
    from ._types import ExpectedTransaction, ProcessResult, TransactionHandler
    from .contrib import CallbackProcessor

__all__ = ["ReconcileSummary", "Reconciler", "import_handler", "reconciler_for"]

logger = logging.getLogger("ligdicash.reconcile")


class Reconciler:
    """Polls the payments a client recorded in ``store`` until each is settled, once.

    Args:
        store: the :class:`Store` the clients record into (or its URL; then this
            reconciler opens it and :meth:`close` closes it).
        client: the ``Client`` (for :meth:`run_once`) or ``AsyncClient`` (for
            :meth:`arun_once`) whose account created the payments.
        processor: a :class:`~ligdicash.contrib.CallbackProcessor` sharing ``store`` as
            its claim store: each final status goes through its ``reconcile`` (or
            ``areconcile``), so your handler runs once per payment, whether the callback
            or the poll comes first. Without one, the reconciler only records statuses.
        schedule: seconds between polls of one payment (first gap = minimum age);
            at least 3 s each against LigdiCash's hosts, anything on a loopback sandbox.
        expire_after: a payment still pending this long after creation becomes ``expired``.
        in_doubt_after: a payment with no token (its creation answer was lost) this long
            after creation becomes ``in_doubt``, for an operator.
        batch_size: payments leased per round; concurrency: status calls (and processor
            runs) at a time; lease_seconds: how long a round holds its payments.
        clock: seconds since the epoch, the stores' clock (tests pass their own).
        close_store: whether :meth:`close` closes the store (default: only when this
            reconciler opened it from a URL).

    Raises:
        InvalidRequestError: a bad schedule or number (nothing polled).
        ConfigurationError: ``store`` is neither a ``Store`` nor a URL.

    Example::

        store = ligdicash.open_store("postgresql://shop@db/shop")
        client = ligdicash.Client(api_key=..., auth_token=..., store=store)
        processor = CallbackProcessor(lookup=ligdicash.registry_lookup(store),
                                      handler=deliver, client=client, store=store)
        reconciler = ligdicash.Reconciler(store, client=client, processor=processor)
        reconciler.run_forever(interval=30)
    """

    def __init__(
        self,
        store: StoreLike,
        *,
        client: Union[Client, AsyncClient],
        processor: Optional[CallbackProcessor] = None,
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        in_doubt_after: float = DEFAULT_IN_DOUBT_AFTER,
        batch_size: int = 100,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        close_store: Optional[bool] = None,
    ) -> None:
        try:
            gaps = tuple(schedule)
        except TypeError:
            raise InvalidRequestError("schedule must be a sequence of seconds") from None
        self.policy = ReconcilePolicy(gaps, expire_after, in_doubt_after, batch_size, lease_seconds)
        self.policy.check_floor(client.base_url)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidRequestError("concurrency must be an int >= 1")
        registry, opened = open_registry(store)
        self._owns_store = opened if close_store is None else close_store
        assert registry is not None
        self.store: Store = registry
        self.client = client
        self.processor = processor
        self.concurrency = concurrency
        self._clock = clock

    def __repr__(self) -> str:
        return f"<ligdicash.Reconciler store={self.store!r} schedule={self.policy.schedule}>"

    def close(self) -> None:
        """Close the store if this reconciler opened it from a URL. Safe to call twice."""
        if self._owns_store:
            self.store.close()

    def counts(self) -> dict[str, int]:
        """How many recorded payments have each status (``in_doubt`` ones need a person).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        return self.store.payment_counts()

    def _round(
        self, client: Union[Client, AsyncClient], process: ProcessFinals
    ) -> Generator[Effect, Any, ReconcileSummary]:
        """One round with ``client``'s bulk status call (blocking or async), logged."""
        fetch: FetchStatuses = functools.partial(
            client.get_transactions, concurrency=self.concurrency
        )
        summary = yield from reconcile_round(
            self.policy,
            self._clock,
            store=self.store,
            fetch=fetch,
            process=process if self.processor is not None else None,
        )
        logger.info("reconcile round: %s", summary.to_dict())
        return summary

    # -- blocking ----------------------------------------------------------------------

    def run_once(self) -> ReconcileSummary:
        """Poll the payments due now (one batch) and settle the final ones.

        Raises:
            ConfigurationError: the client is an ``AsyncClient`` (use :meth:`arun_once`).
            StoreUnavailableError: the store cannot be reached.
        """
        if not isinstance(self.client, Client):
            raise ConfigurationError("run_once needs a Client; use arun_once with AsyncClient")
        return drive(self._round(self.client, self._process))

    def _process(self, expected: Sequence[ExpectedTransaction]) -> list[ProcessResult]:
        processor = self.processor
        assert processor is not None  # only called with a processor
        with ThreadPoolExecutor(min(self.concurrency, len(expected))) as pool:
            return list(pool.map(processor.reconcile, expected))

    def run_forever(
        self,
        interval: float = 30.0,
        stop_event: Optional[threading.Event] = None,
        *,
        on_round: Optional[Callable[[ReconcileSummary], Any]] = None,
    ) -> None:
        """Run rounds until ``stop_event`` is set: a full batch is followed at once by the
        next, otherwise the loop waits ``interval`` seconds. A failing round (store or
        network down) is logged and retried after ``interval``; it never ends the loop.
        ``on_round(summary)`` is called after each round that ran."""
        stop = stop_event if stop_event is not None else threading.Event()
        drive(self._rounds(self.run_once, stop.wait, stop.is_set, interval, on_round))

    def _rounds(
        self,
        run_round: Callable[[], Any],
        wait: Callable[[float], Any],
        stopped: Callable[[], bool],
        interval: float,
        on_round: Optional[Callable[[ReconcileSummary], Any]],
    ) -> Generator[Effect, Any, None]:
        """Rounds until ``stopped()``; ``run_round`` and ``wait(interval)`` (cut short by a
        stop) blocking or async."""
        while not stopped():
            try:
                summary: ReconcileSummary = yield Call(run_round)
            except LigdicashError as exc:
                logger.error("reconcile round failed: %s", exc.message)
                summary = ReconcileSummary()
            else:
                if on_round is not None:
                    on_round(summary)
            if summary.claimed < self.policy.batch_size:
                yield Call(wait, interval)

    # -- async -------------------------------------------------------------------------

    async def arun_once(self) -> ReconcileSummary:
        """:meth:`run_once` with an ``AsyncClient`` (the store calls run in threads).

        Raises:
            ConfigurationError: the client is a ``Client`` (use :meth:`run_once`).
            StoreUnavailableError: the store cannot be reached.
        """
        if not isinstance(self.client, AsyncClient):
            raise ConfigurationError("arun_once needs an AsyncClient; use run_once with Client")
        return await adrive(self._round(self.client, self._aprocess))

    async def _aprocess(self, expected: Sequence[ExpectedTransaction]) -> list[ProcessResult]:
        processor = self.processor
        assert processor is not None  # only called with a processor
        gate = asyncio.Semaphore(self.concurrency)

        async def one(one_expected: ExpectedTransaction) -> ProcessResult:
            async with gate:
                return await processor.areconcile(one_expected)

        return list(await asyncio.gather(*(one(e) for e in expected)))

    async def arun_forever(
        self,
        interval: float = 30.0,
        stop_event: Optional[asyncio.Event] = None,
        *,
        on_round: Optional[Callable[[ReconcileSummary], Any]] = None,
    ) -> None:
        """:meth:`run_forever` for async apps; cancel the task or set ``stop_event``."""
        stop = stop_event if stop_event is not None else asyncio.Event()

        async def wait(seconds: float) -> None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

        await adrive(self._rounds(self.arun_once, wait, stop.is_set, interval, on_round))


def import_handler(spec: str) -> TransactionHandler:
    """The function ``"package.module:function"`` names (``--handler`` of the command).

    Raises:
        ConfigurationError: not ``module:function``, the module does not import, or the
            attribute is not callable.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigurationError(f"a handler is named module:function (got {spec!r})")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import handler {spec!r}: {exc}") from None
    if not callable(target):
        raise ConfigurationError(f"handler {spec!r} is not callable")
    handler: TransactionHandler = target
    return handler


def reconciler_for(
    store: StoreLike,
    *,
    handler: Optional[TransactionHandler] = None,
    on_cancelled: Optional[TransactionHandler] = None,
    client: Optional[Client] = None,
    **options: Any,
) -> Reconciler:
    """A reconciler on ``store`` with the module-level settings' client, as the command
    and the Django management command build it: with ``handler``, a
    :class:`~ligdicash.contrib.CallbackProcessor` claiming in the same store and looking
    payments up in its registry (:func:`~ligdicash.registry_lookup`) runs it once per
    completed payment. ``options`` go to :class:`Reconciler`.

    Raises:
        ConfigurationError: no credentials (``LIGDICASH_API_KEY``, ...), a bad store URL.
    """
    from ._facade import default_client
    from ._registry import registry_lookup

    registry, owns = open_registry(store)
    assert registry is not None
    try:
        account = client if client is not None else default_client()
        processor = None
        if handler is not None:
            from .contrib import CallbackProcessor

            processor = CallbackProcessor(
                lookup=registry_lookup(registry),
                handler=handler,
                on_cancelled=on_cancelled,
                client=account,
                store=registry,
            )
        # Whoever opened the store closes it: this function's caller when it passed one.
        options["close_store"] = owns
        return Reconciler(registry, client=account, processor=processor, **options)
    except BaseException:
        if owns:
            registry.close()
        raise
