"""Running a batch: one asyncio engine, senders each keeping several payouts in flight.

``workers`` senders each keep up to ``in_flight`` payouts in flight, so a run has up to
``workers * in_flight`` requests on the wire at once (on one :class:`~ligdicash.AsyncClient`
pool): a latency-bound API is what bulk payouts wait on, and a blocking thread per request
would need one thread per payout in flight. Each free slot (:mod:`._slots`) claims its
item from the ledger (``sending`` is committed durably before any request leaves; slots
that are free at the same moment share one commit), sends it, and records the answer (what
to do with one item is the sans-IO generator :func:`~._send.send_item`); the ledger
(blocking sqlite3 / psycopg) runs in a small pool of threads. Meanwhile this engine starts
and ends the run, beats the worker's heartbeat, polls the status of ``sent`` items and
reports progress.

A refusal about the account ("stop the batch") halts every sender at once: nothing more is
claimed, the payouts in flight are recorded, the items not yet claimed stay ``pending``.
:meth:`BatchRunner.stop` (Ctrl-C and SIGTERM in the CLI) does the same; the next run resumes.
The rate limit and the stop every wait heeds are :mod:`._run_control`'s.
:meth:`BatchRunner.run` runs the engine on an event loop of its own; :meth:`BatchRunner.arun`
runs it on the caller's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .._config import _is_loopback_url
from .._drive import Blocking, Effect, aperform
from .._exceptions import InvalidRequestError
from ._ledger import Ledger, WorkerIdentity
from ._ledger_base import STALE_AFTER
from ._records import BatchInfo, Progress, RunResult
from ._run_control import TICK, RateLimiter, RunControl
from ._send import Halt, send_item
from ._settle import apoll_sent
from ._slots import SendSlots
from ._states import SENT

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

# Halt, send_item, Progress and RunResult are re-exported: this was their import path.
__all__ = ["BatchRunner", "Halt", "Progress", "RunResult", "send_item"]

logger = logging.getLogger("ligdicash.payouts")

#: LigdiCash's advice for payout status calls: every 30 to 60 s ("payouts are processed in
#: batches by the operator — polling too fast is pointless"); 30 s off a loopback sandbox.
STATUS_FLOOR = 30.0
LOOPBACK_POLL_INTERVAL = 1.0
HEARTBEAT_EVERY = 2.0
#: Payouts each sender keeps in flight by default: 8 senders x 8 = 64 requests at once,
#: enough for >= 30x a sequential loop at 200 ms per request (benchmarks/payouts_batch.py).
DEFAULT_IN_FLIGHT = 8
#: Threads that run the ledger's blocking calls (SQLite serialises its writes anyway).
LEDGER_THREADS = 4
#: Seconds between two status rounds while payouts are still being sent.
POLL_WHILE_SENDING = 1.0


class BatchRunner:
    """Send a batch's pending items, ``workers`` senders with ``in_flight`` payouts each in
    flight, and settle what was sent.

    Args:
        ledger: where the batch is recorded (:func:`open_ledger`; :meth:`Ledger.add_batch`).
        client: the :class:`~ligdicash.Client` or :class:`~ligdicash.AsyncClient` whose
            account pays. With a ``Client``, the run opens (and closes) an ``AsyncClient``
            with the same settings and store (its own connection pool: an ``http_client``
            you gave the ``Client`` is not used; pass an ``AsyncClient`` to choose it).
        batch_id: the batch to work on.
        workers: concurrent senders (>= 1).
        in_flight: payouts each sender keeps in flight (>= 1; default 8): at most
            ``workers * in_flight`` requests at once. A ``kill -9`` may leave that many
            items ``in_doubt``.
        rate: at most this many sends per second, across all senders (``None``: no limit).
        poll_interval: seconds between two status calls for one item; at least 30 s
            (LigdiCash's payout advice: every 30 to 60 s) unless ``base_url`` is a loopback
            sandbox (default: 30 s, or 1 s on a loopback sandbox, where 0 is allowed).
        settle_timeout: once nothing is left to send, how long to keep polling ``sent``
            items (0: do not wait; a later run or ``payouts status`` settles them).
        callback_url: given to each payout; wire it to :func:`apply_callback`.
        unpause: clear a previous pause before starting (``payouts run``; a joining
            ``payouts work`` does not).
        on_progress: called about 5 times a second, in the thread running the event loop
            (the calling thread of :meth:`run`).
        stale_after: at the start, the ``sending`` items of a worker of another host whose
            heartbeat is older than this (seconds) become ``in_doubt`` (a worker of this host
            only once its process is gone). Its answers, should it come back, are still
            recorded.

    Raises:
        InvalidRequestError: ``workers``, ``in_flight`` or ``rate`` out of range.

    Example::

        ledger = open_ledger("sqlite:///payouts.db")
        batch = load_batch("payouts.csv")
        ledger.add_batch(batch)
        result = BatchRunner(ledger, client, batch.id, workers=8).run()
    """

    def __init__(
        self,
        ledger: Ledger,
        client: Union[Client, AsyncClient],
        batch_id: str,
        *,
        workers: int = 4,
        in_flight: int = DEFAULT_IN_FLIGHT,
        rate: Optional[float] = None,
        poll_interval: Optional[float] = None,
        settle_timeout: float = 60.0,
        callback_url: str = "",
        unpause: bool = True,
        on_progress: Optional[Callable[[Progress], None]] = None,
        stale_after: float = STALE_AFTER,
    ) -> None:
        for name, value in (("workers", workers), ("in_flight", in_flight)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequestError(f"{name} must be an int >= 1, got {value!r}")
        floor = 0.0 if _is_loopback_url(client.base_url) else STATUS_FLOOR
        self.ledger = ledger
        self.client = client
        self.batch_id = batch_id
        self.workers = workers
        self.in_flight = in_flight
        # Even a loopback sandbox gets 1 s between two polls of one item by default: polling
        # competes with sending for the same connections.
        default = STATUS_FLOOR if floor else LOOPBACK_POLL_INTERVAL
        self.poll_interval = max(floor, default if poll_interval is None else float(poll_interval))
        self.settle_timeout = max(0.0, settle_timeout)
        self.callback_url = callback_url
        self.unpause = unpause
        self.on_progress = on_progress
        self.stale_after = float(stale_after)
        self.identity = WorkerIdentity()
        self._limiter = RateLimiter(rate)
        self._control = RunControl()
        self._executor: Optional[ThreadPoolExecutor] = None

    def stop(self) -> None:
        """Finish the requests in flight, record them, and claim nothing more (any thread)."""
        self._control.request_stop()

    def run(self) -> RunResult:
        """Work on the batch until nothing is left, a stop, or a pause; then return.

        Runs :meth:`arun` on an event loop of its own (so not from a running loop's thread:
        await :meth:`arun` there).

        Raises:
            InvalidRequestError: the batch is not in the ledger; called from a running
                event loop.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.arun())
        raise InvalidRequestError("BatchRunner.run() inside an event loop: await arun()")

    async def arun(self) -> RunResult:
        """:meth:`run` on the running event loop.

        Raises:
            InvalidRequestError: the batch is not in the ledger.
        """
        from .._async_client import AsyncClient

        if isinstance(self.client, AsyncClient):
            client, owned = self.client, False
        else:
            # The very settings of ``self.client``: same base_url (and whether it was
            # overridden, which decides the status-call floor), timeouts, retries, hook.
            client, owned = AsyncClient.from_client(self.client), True
        executor = ThreadPoolExecutor(LEDGER_THREADS, thread_name_prefix="ligdicash-ledger")
        try:
            return await self._arun(client, executor)
        finally:
            executor.shutdown(wait=True)
            if owned:
                await client.aclose()

    async def _arun(self, client: AsyncClient, executor: ThreadPoolExecutor) -> RunResult:
        self._executor = executor
        # A runner may run again (a previous stop() still holds: it is a request to stop).
        self._control.start()
        ledger = self.ledger
        await self._perform(Blocking(ledger.batch_info, self.batch_id))  # unknown: raises
        if self.unpause:
            await self._perform(Blocking(ledger.set_paused, self.batch_id, ""))
        await self._perform(Blocking(ledger.heartbeat, self.identity, self.batch_id))
        recovered = await self._perform(
            Blocking(ledger.recover, self.batch_id, self.identity, stale_after=self.stale_after)
        )
        started = time.monotonic()
        senders = SendSlots(
            ledger=ledger,
            client=client,
            perform=self._perform,
            batch_id=self.batch_id,
            identity=self.identity,
            callback_url=self.callback_url,
            limiter=self._limiter,
            control=self._control,
        )
        slots = senders.start(self.workers * self.in_flight)
        try:
            await self._supervise(client, senders, slots, started)
        finally:
            # Also on an error or a cancellation of the run: the slots finish and record
            # the payouts they have in flight, and claim nothing more.
            self._control.close()
            await asyncio.gather(*slots, return_exceptions=True)
            self._control.detach()
        await self._perform(Blocking(ledger.release, senders.take_unsent()))
        await self._perform(Blocking(ledger.retire, self.identity))
        await self._progress(started, senders, settling=False)
        info: BatchInfo = await self._perform(Blocking(ledger.batch_info, self.batch_id))
        control = self._control
        if control.halt_kind:
            return RunResult(info, control.halt_kind, recovered, control.halt_detail)
        if control.stop_requested:
            return RunResult(info, "interrupted", recovered, "stopped on request")
        return RunResult(info, "", recovered)

    async def _supervise(
        self,
        client: AsyncClient,
        senders: SendSlots,
        slots: Sequence[asyncio.Future[None]],
        started: float,
    ) -> None:
        """Heartbeat, status polling and progress until the run is over."""
        # Status rounds run beside this loop, not in it: a round of slow status calls must
        # not hold up the end of the run, a stop, or the heartbeat.
        polling: Optional[asyncio.Future[None]] = None
        last_beat = last_poll = 0.0
        settle_deadline: Optional[float] = None
        try:
            while True:
                now = time.monotonic()
                sending = not all(slot.done() for slot in slots)
                if now - last_beat >= HEARTBEAT_EVERY:
                    await self._perform(
                        Blocking(self.ledger.heartbeat, self.identity, self.batch_id)
                    )
                    last_beat = now
                # Ctrl-C and a failing ledger end the run as soon as the senders are done;
                # a pause only stops sending: what was sent is still settled.
                if self._control.stop_requested or self._control.halt_kind == "ledger":
                    if not sending:
                        return
                else:
                    # Each item's own interval is kept by due_for_poll. While sending, a
                    # round a second: status calls compete with the payouts for connections
                    # and for the API (every tick, they halved the send rate at 64 in flight).
                    gap = POLL_WHILE_SENDING if sending else TICK
                    if now - last_poll >= gap and (polling is None or polling.done()):
                        last_poll = now
                        polling = asyncio.ensure_future(self._poll(client))
                    if not sending:
                        if settle_deadline is None:
                            settle_deadline = now + self.settle_timeout
                        info: BatchInfo = await self._perform(
                            Blocking(self.ledger.batch_info, self.batch_id)
                        )
                        if info.count(SENT) == 0 or now >= settle_deadline:
                            return
                await self._progress(started, senders, settling=not sending)
                await self._control.rest_or_done(slots)
        finally:
            if polling is not None and not polling.done():
                # Status calls are reads: cutting a round short loses nothing.
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)

    async def _poll(self, client: AsyncClient) -> None:
        try:
            # Small rounds (four status calls per sender): the loop stays responsive.
            await apoll_sent(
                self.ledger,
                client,
                self.batch_id,
                interval=self.poll_interval,
                concurrency=self.workers,
                limit=4 * self.workers,
                executor=self._executor,
            )
        except Exception as exc:  # a failed status round is not fatal: the next one retries
            logger.warning("status polling failed: %s", type(exc).__name__)

    async def _perform(self, effect: Effect) -> Any:
        """Carry ``effect`` out on the run's loop, a ``Blocking`` one (the ledger's calls)
        in the run's ledger threads."""
        return await aperform(effect, executor=self._executor)

    async def _progress(self, started: float, senders: SendSlots, settling: bool) -> None:
        if self.on_progress is None:
            return
        info = await self._perform(Blocking(self.ledger.batch_info, self.batch_id))
        elapsed = max(time.monotonic() - started, 1e-6)
        self.on_progress(Progress(info, senders.sent_count / elapsed, settling))
