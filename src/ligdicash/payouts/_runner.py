"""Running a batch: one asyncio engine, senders each keeping several payouts in flight.

``workers`` senders each keep up to ``in_flight`` payouts in flight, so a run has up to
``workers * in_flight`` requests on the wire at once (on one :class:`~ligdicash.AsyncClient`
pool): a latency-bound API is what bulk payouts wait on, and a blocking thread per request
would need one thread per payout in flight. Each free slot claims its item from the ledger
(``sending`` is committed durably before any request leaves; slots that are free at the
same moment share one commit), sends it, and records the answer: ``sent`` with the token,
or the fate :func:`~._states.classify_error` gives the error. What to do with one item is
the sans-IO generator :func:`send_item`; the ledger (blocking sqlite3 / psycopg) runs in a
small pool of threads. Meanwhile the engine beats the worker's heartbeat, polls the status
of ``sent`` items and reports progress.

A refusal about the account ("stop the batch") halts every sender at once: nothing more is
claimed, the payouts in flight are recorded, the items not yet claimed stay ``pending``.
:meth:`BatchRunner.stop` (Ctrl-C and SIGTERM in the CLI) does the same; the next run resumes.
:meth:`BatchRunner.run` runs the engine on an event loop of its own; :meth:`BatchRunner.arun`
runs it on the caller's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Union
from urllib.parse import urlsplit

from .._drive import adrive
from .._exceptions import InvalidRequestError
from ._effects import Effect, LedgerCall, SendPayout, aperformer
from ._ledger import Ledger, WorkerIdentity
from ._records import BatchInfo, LedgerItem
from ._settle import apoll_sent
from ._states import FAILED, IN_DOUBT, PENDING, SENDING, SENT, Fate, SendOutcome, classify_error

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = ["BatchRunner", "Halt", "Progress", "RunResult", "send_item"]

logger = logging.getLogger("ligdicash.payouts")

#: LigdiCash asks status callers to wait at least 3 s between calls for one transaction.
STATUS_FLOOR = 3.0
LOOPBACK_POLL_INTERVAL = 1.0
HEARTBEAT_EVERY = 2.0
#: Consecutive "nothing left the machine" failures before the run gives up (network down).
MAX_UNSENT_IN_A_ROW = 5
#: Payouts each sender keeps in flight by default: 8 senders x 8 = 64 requests at once,
#: enough for >= 30x a sequential loop at 200 ms per request (benchmarks/payouts_batch.py).
DEFAULT_IN_FLIGHT = 8
#: Threads that run the ledger's blocking calls (SQLite serialises its writes anyway).
LEDGER_THREADS = 4
TICK = 0.2
#: Seconds between two status rounds while payouts are still being sent.
POLL_WHILE_SENDING = 1.0


def _is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class RateLimiter:
    """At most ``rate`` sends per second across every request of a run (``None``: no limit).

    Used from the engine's event loop only (one thread): no lock.
    """

    def __init__(self, rate: Optional[float]) -> None:
        if rate is not None and rate <= 0:
            raise InvalidRequestError(f"rate must be positive, got {rate}")
        self._gap = 1.0 / rate if rate else 0.0
        self._next = 0.0

    def reserve(self) -> float:
        """Take the next send slot; return how many seconds to wait for it."""
        if not self._gap:
            return 0.0
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._gap
        return slot - now


@dataclass(frozen=True)
class Halt:
    """An effect of :func:`send_item`: stop every sender of the run now (``kind`` as in
    :attr:`RunResult.stopped`), before the refusal is even recorded."""

    kind: str
    detail: str


def send_item(
    item: LedgerItem, batch_id: str, callback_url: str
) -> Generator[Union[Effect, Halt], Any, Optional[SendOutcome]]:
    """Send one claimed (``sending``) item and record what became of it, as effects.

    Returns None when LigdiCash answered with a token (the item is ``sent``), else the
    :class:`SendOutcome` of the error, already recorded: ``failed``; ``in_doubt`` (never
    re-sent); back to ``pending`` after a refusal about the account (a :class:`Halt` is
    yielded first, and the batch is paused) or when nothing left the machine.
    """
    try:
        response = yield SendPayout(item, callback_url)
    except Exception as exc:
        outcome = classify_error(exc)
        yield from _record_error(item, batch_id, outcome)
        return outcome
    if response.token:
        yield LedgerCall("move", (item.id, SENT), {"expect": [SENDING], "token": response.token})
    else:
        yield LedgerCall(
            "move",
            (item.id, IN_DOUBT),
            {
                "expect": [SENDING],
                "error_code": "no_token",
                "error": "LigdiCash accepted the payout but sent no token",
            },
        )
    return None


def _record_error(
    item: LedgerItem, batch_id: str, outcome: SendOutcome
) -> Generator[Union[Effect, Halt], Any, None]:
    error = {"expect": [SENDING], "error_code": outcome.code, "error": outcome.message}
    if outcome.fate is Fate.FAILED:
        yield LedgerCall("move", (item.id, FAILED), error)
    elif outcome.fate is Fate.IN_DOUBT:
        yield LedgerCall("move", (item.id, IN_DOUBT), error)
        yield LedgerCall("settle_from_evidence", (batch_id,))
    elif outcome.fate is Fate.STOP:
        # Every other sender stops claiming before this refusal is even written down.
        yield Halt("paused", outcome.message)
        # The refusal proves nothing was paid: the item waits for the next run.
        yield LedgerCall("move", (item.id, PENDING), error)
        yield LedgerCall("set_paused", (batch_id, outcome.message))
    else:
        yield LedgerCall("move", (item.id, PENDING), error)


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays: the batch's counts and the send rate so far."""

    info: BatchInfo
    sent_per_second: float
    settling: bool


@dataclass(frozen=True)
class RunResult:
    """How a run ended.

    Attributes:
        info: the batch's counts at the end.
        stopped: ``""`` (ran to the end), ``"interrupted"`` (stop() / Ctrl-C),
            ``"paused"`` (a refusal about the account; see ``info.paused_reason``),
            ``"network"`` (nothing could be sent), ``"ledger"`` (the ledger failed).
        recovered: items of dead workers turned ``in_doubt`` at start.
        detail: a sentence about why it stopped.
    """

    info: BatchInfo
    stopped: str
    recovered: int
    detail: str = ""


def _async_twin(client: Client) -> AsyncClient:
    """An ``AsyncClient`` with ``client``'s settings (the same object) and store."""
    from .._async_client import AsyncClient

    settings = client._settings
    twin = AsyncClient(
        api_key=settings.api_key,
        auth_token=settings.auth_token,
        base_url=settings.base_url,
        allow_http_hosts=settings.allow_http_hosts,
        store=client.store,
    )
    # The very settings of ``client``: same base_url (and whether it was overridden, which
    # decides the status-call floor), timeouts, retries and on_request hook.
    twin._settings = settings
    twin._on_request = settings.on_request
    return twin


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
        poll_interval: seconds between two status calls for one item; at least 3 s on
            LigdiCash's hosts (default: 3 s there, 1 s on a loopback sandbox, where 0 is
            allowed).
        settle_timeout: once nothing is left to send, how long to keep polling ``sent``
            items (0: do not wait; a later run or ``payouts status`` settles them).
        callback_url: given to each payout; wire it to :func:`apply_callback`.
        unpause: clear a previous pause before starting (``payouts run``; a joining
            ``payouts work`` does not).
        on_progress: called about 5 times a second, in the thread running the event loop
            (the calling thread of :meth:`run`).

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
    ) -> None:
        for name, value in (("workers", workers), ("in_flight", in_flight)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequestError(f"{name} must be an int >= 1, got {value!r}")
        floor = 0.0 if _is_loopback(client.base_url) else STATUS_FLOOR
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
        self.identity = WorkerIdentity()
        self._limiter = RateLimiter(rate)
        # stop() may come from any thread (a signal handler, a progress callback): a
        # threading.Event, plus a wake-up of the loop's own event when one is running.
        self._stop = threading.Event()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._wake: Optional[asyncio.Event] = None
        self._halt_kind = ""
        self._halt_detail = ""
        self._unsent_in_a_row = 0
        self._sent_count = 0
        self._waiting = 0
        self._claimed: collections.deque[LedgerItem] = collections.deque()
        self._closing = False
        self._claim_lock: Optional[asyncio.Lock] = None
        self._executor: Optional[ThreadPoolExecutor] = None

    def stop(self) -> None:
        """Finish the requests in flight, record them, and claim nothing more (any thread)."""
        self._stop.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            # RuntimeError: the loop is closed, the run is over.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    # -- the engine's state (event loop thread only) ------------------------------------

    def _halt_with(self, kind: str, detail: str) -> None:
        if not self._halt_kind:
            self._halt_kind, self._halt_detail = kind, detail
        if self._wake is not None:
            self._wake.set()

    def _stopping(self) -> bool:
        return self._stop.is_set() or bool(self._halt_kind) or self._closing

    async def _rest(self, seconds: float) -> bool:
        """Wait ``seconds`` or until the run stops; True if it stops."""
        assert self._wake is not None
        if seconds > 0 and not self._stopping():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stopping()

    # -- sending ------------------------------------------------------------------------

    async def _next_item(self) -> Optional[LedgerItem]:
        """A claimed item for a free slot. The slots that are free while a claim commits
        wait for the next one, which claims as many items as there are of them: one
        durable commit for several items, and every claimed item is sent at once."""
        assert self._claim_lock is not None
        self._waiting += 1
        try:
            async with self._claim_lock:
                if not self._claimed and not self._stopping():
                    self._claimed.extend(
                        await self._ledger_call(
                            "claim_many", self.batch_id, self.identity, self._waiting
                        )
                    )
                return self._claimed.popleft() if self._claimed else None
        finally:
            self._waiting -= 1

    async def _slot(self, perform: Callable[[Any], Awaitable[Any]]) -> None:
        """One payout in flight at a time, until nothing is left or the run stops."""
        try:
            while not self._stopping():
                if await self._rest(self._limiter.reserve()):
                    break
                item = await self._next_item()
                if item is None:
                    break
                if self._stopping():  # claimed but certainly not sent: hand it back
                    await self._ledger_call("release", [item])
                    break
                try:
                    outcome = await adrive(
                        send_item(item, self.batch_id, self.callback_url), perform
                    )
                except asyncio.CancelledError:
                    # Cancelled with the request maybe on the wire: never re-sent by itself.
                    await asyncio.shield(
                        self._ledger_call(
                            "move",
                            item.id,
                            IN_DOUBT,
                            expect=[SENDING],
                            error_code="interrupted",
                            error="the run was cancelled while this payout was being sent",
                        )
                    )
                    raise
                await self._after_send(outcome)
        except Exception as exc:  # the ledger failed: stop everything, record nothing more
            logger.error("payout sender stopped: the ledger failed (%s)", type(exc).__name__)
            self._halt_with("ledger", f"the ledger failed: {type(exc).__name__}")

    async def _after_send(self, outcome: Optional[SendOutcome]) -> None:
        """Count a payout LigdiCash answered; back off (or give up) when nothing left."""
        if outcome is None:
            self._sent_count += 1
            self._unsent_in_a_row = 0
            return
        if outcome.fate is not Fate.RETRY:
            return
        self._unsent_in_a_row += 1
        streak = self._unsent_in_a_row
        if streak >= MAX_UNSENT_IN_A_ROW:
            self._halt_with("network", f"nothing could be sent: {outcome.message}")
        else:
            await self._rest(min(0.2 * 2**streak, 5.0))

    # -- the run --------------------------------------------------------------------------

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
            client, owned = _async_twin(self.client), True
        executor = ThreadPoolExecutor(LEDGER_THREADS, thread_name_prefix="ligdicash-ledger")
        try:
            return await self._arun(client, executor)
        finally:
            executor.shutdown(wait=True)
            if owned:
                await client.aclose()

    async def _arun(self, client: AsyncClient, executor: ThreadPoolExecutor) -> RunResult:
        base = aperformer(self.ledger, client, executor)

        async def perform(effect: Any) -> Any:
            if isinstance(effect, Halt):
                self._halt_with(effect.kind, effect.detail)
                return None
            return await base(effect)

        # A runner may run again (a previous stop() still holds: it is a request to stop).
        self._closing, self._halt_kind, self._halt_detail = False, "", ""
        self._unsent_in_a_row = self._sent_count = 0
        # Made here, not in __init__: on Python 3.9 they bind to the loop current at creation.
        self._wake, self._claim_lock = asyncio.Event(), asyncio.Lock()
        self._executor, self._loop = executor, asyncio.get_running_loop()
        if self._stop.is_set():
            self._wake.set()
        await self._ledger_call("batch_info", self.batch_id)  # raises for an unknown batch
        if self.unpause:
            await self._ledger_call("set_paused", self.batch_id, "")
        await self._ledger_call("heartbeat", self.identity, self.batch_id)
        recovered = await self._ledger_call("recover", self.batch_id, self.identity)
        await self._ledger_call("settle_from_evidence", self.batch_id)
        started = time.monotonic()
        slots = [
            asyncio.ensure_future(self._slot(perform)) for _ in range(self.workers * self.in_flight)
        ]
        try:
            await self._supervise(client, slots, started)
        finally:
            # Also on an error or a cancellation of the run: the slots finish and record
            # the payouts they have in flight, and claim nothing more.
            self._closing = True
            self._wake.set()
            await asyncio.gather(*slots, return_exceptions=True)
            self._loop = None
        await self._ledger_call("release", list(self._claimed))
        self._claimed.clear()
        await self._ledger_call("retire", self.identity)
        await self._progress(started, settling=False)
        info: BatchInfo = await self._ledger_call("batch_info", self.batch_id)
        if self._halt_kind:
            return RunResult(info, self._halt_kind, recovered, self._halt_detail)
        if self._stop.is_set():
            return RunResult(info, "interrupted", recovered, "stopped on request")
        return RunResult(info, "", recovered)

    async def _supervise(
        self,
        client: AsyncClient,
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
                    await self._ledger_call("heartbeat", self.identity, self.batch_id)
                    last_beat = now
                # Ctrl-C and a failing ledger end the run as soon as the senders are done;
                # a pause only stops sending: what was sent is still settled.
                if self._stop.is_set() or self._halt_kind == "ledger":
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
                        info: BatchInfo = await self._ledger_call("batch_info", self.batch_id)
                        if info.count(SENT) == 0 or now >= settle_deadline:
                            return
                await self._progress(started, settling=not sending)
                await self._rest_or_done(slots)
        finally:
            if polling is not None and not polling.done():
                # Status calls are reads: cutting a round short loses nothing.
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)

    async def _rest_or_done(self, slots: Sequence[asyncio.Future[None]]) -> None:
        """One tick, cut short when the last sender finishes or the run is stopped."""
        assert self._wake is not None
        pending = [slot for slot in slots if not slot.done()]
        waiters: list[asyncio.Future[Any]] = []
        if not self._wake.is_set():  # once set it stays set: it would not wait at all
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        if pending:
            waiters.append(asyncio.ensure_future(asyncio.wait(pending)))
        if not waiters:
            await asyncio.sleep(TICK)
            return
        try:
            await asyncio.wait(waiters, timeout=TICK, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _poll(self, client: AsyncClient) -> None:
        try:
            await self._ledger_call("settle_from_evidence", self.batch_id)
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

    async def _ledger_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``ledger.<method>(...)`` in the run's ledger threads (the ledger is blocking)."""
        call = functools.partial(getattr(self.ledger, method), *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def _progress(self, started: float, settling: bool) -> None:
        if self.on_progress is None:
            return
        info = await self._ledger_call("batch_info", self.batch_id)
        elapsed = max(time.monotonic() - started, 1e-6)
        self.on_progress(Progress(info, self._sent_count / elapsed, settling))
