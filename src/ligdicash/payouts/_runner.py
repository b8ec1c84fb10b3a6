"""Running a batch: N sender threads claiming items from the ledger, and a settling loop.

Senders claim items (``sending`` is committed durably before any request leaves; one commit
claims as many items as there are senders, to spread the cost of the flush), send each with
``client.Withdrawal(...).send(...)`` and record the answer: ``sent`` with the token, or
the fate :func:`~._states.classify_error` gives the error. The calling thread meanwhile
beats the worker's heartbeat, polls the status of ``sent`` items and reports progress.
:meth:`BatchRunner.stop` (wired to Ctrl-C and SIGTERM by the CLI) lets each sender finish
and record the request it has in flight, and claims nothing more; the next run resumes.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional
from urllib.parse import urlsplit

from .._exceptions import InvalidRequestError
from ._ledger import Ledger, WorkerIdentity
from ._records import BatchInfo, LedgerItem
from ._settle import poll_sent
from ._states import FAILED, IN_DOUBT, PENDING, SENDING, SENT, Fate, SendOutcome, classify_error

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["BatchRunner", "Progress", "RunResult"]

logger = logging.getLogger("ligdicash.payouts")

#: LigdiCash asks status callers to wait at least 3 s between calls for one transaction.
STATUS_FLOOR = 3.0
LOOPBACK_POLL_INTERVAL = 1.0
HEARTBEAT_EVERY = 2.0
#: Consecutive "nothing left the machine" failures before the run gives up (network down).
MAX_UNSENT_IN_A_ROW = 5


def _is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class RateLimiter:
    """At most ``rate`` sends per second across all senders (no limit when ``None``)."""

    def __init__(self, rate: Optional[float]) -> None:
        if rate is not None and rate <= 0:
            raise InvalidRequestError(f"rate must be positive, got {rate}")
        self._gap = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event) -> bool:
        """Wait for a slot; False if ``stop`` was set meanwhile."""
        if not self._gap:
            return not stop.is_set()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._gap
        wait = slot - time.monotonic()
        return not stop.wait(wait) if wait > 0 else not stop.is_set()


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


class BatchRunner:
    """Send a batch's pending items with ``workers`` threads, and settle what was sent.

    Args:
        ledger: where the batch is recorded (:func:`open_ledger`; :meth:`Ledger.add_batch`).
        client: the :class:`~ligdicash.Client` that sends (thread-safe; one pool).
        batch_id: the batch to work on.
        workers: concurrent senders (>= 1).
        rate: at most this many sends per second (``None``: no limit).
        poll_interval: seconds between two status calls for one item; at least 3 s on
            LigdiCash's hosts (default: 3 s there, 1 s on a loopback sandbox, where 0 is
            allowed).
        settle_timeout: once nothing is left to send, how long to keep polling ``sent``
            items (0: do not wait; a later run or ``payouts status`` settles them).
        callback_url: given to each payout; wire it to :func:`apply_callback`.
        unpause: clear a previous pause before starting (``payouts run``; a joining
            ``payouts work`` does not).
        on_progress: called in the calling thread about 5 times a second.

    Example::

        ledger = open_ledger("sqlite:///payouts.db")
        batch = load_batch("payouts.csv")
        ledger.add_batch(batch)
        result = BatchRunner(ledger, client, batch.id, workers=8).run()
    """

    def __init__(
        self,
        ledger: Ledger,
        client: Client,
        batch_id: str,
        *,
        workers: int = 4,
        rate: Optional[float] = None,
        poll_interval: Optional[float] = None,
        settle_timeout: float = 60.0,
        callback_url: str = "",
        unpause: bool = True,
        on_progress: Optional[Callable[[Progress], None]] = None,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidRequestError(f"workers must be an int >= 1, got {workers!r}")
        floor = 0.0 if _is_loopback(client.base_url) else STATUS_FLOOR
        self.ledger = ledger
        self.client = client
        self.batch_id = batch_id
        self.workers = workers
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
        self._stop = threading.Event()
        self._halt = threading.Event()
        self._halt_kind = ""
        self._halt_detail = ""
        self._lock = threading.Lock()
        self._unsent_in_a_row = 0
        self._sent_count = 0
        self._claim_lock = threading.Lock()
        self._claimed: collections.deque[LedgerItem] = collections.deque()

    def stop(self) -> None:
        """Finish the requests in flight, record them, and claim nothing more."""
        self._stop.set()

    # -- sending ------------------------------------------------------------------------

    def _halt_with(self, kind: str, detail: str) -> None:
        with self._lock:
            if not self._halt_kind:
                self._halt_kind, self._halt_detail = kind, detail
        self._halt.set()

    def _stopping(self) -> bool:
        return self._stop.is_set() or self._halt.is_set()

    def _next_item(self) -> Optional[LedgerItem]:
        """The next claimed item; claims ``workers`` items at a time (one durable commit)."""
        with self._claim_lock:
            if not self._claimed and not self._stopping():
                self._claimed.extend(
                    self.ledger.claim_many(self.batch_id, self.identity, self.workers)
                )
            return self._claimed.popleft() if self._claimed else None

    def _sender(self) -> None:
        try:
            while not self._stopping():
                if not self._limiter.acquire(self._stop):
                    break
                item = self._next_item()
                if item is None:
                    break
                if self._stopping():  # claimed but certainly not sent: hand it back
                    self.ledger.release([item])
                    break
                self._send(item)
        except Exception as exc:  # the ledger failed: stop everything, record nothing more
            logger.error("payout worker stopped: the ledger failed (%s)", type(exc).__name__)
            self._halt_with("ledger", f"the ledger failed: {type(exc).__name__}")

    def _send(self, item: LedgerItem) -> None:
        try:
            withdrawal = self.client.Withdrawal(
                description=item.description, amount=item.amount, customer=item.phone
            )
            response = withdrawal.send(
                type=item.type,
                to_wallet=item.to_wallet,
                callback_url=self.callback_url,
                custom_data={"transaction_id": item.id},
            )
        except Exception as exc:
            self._record_error(item, classify_error(exc))
            return
        with self._lock:
            self._unsent_in_a_row = 0
            self._sent_count += 1
        if response.token:
            self.ledger.move(item.id, SENT, expect=[SENDING], token=response.token)
        else:
            self.ledger.move(
                item.id,
                IN_DOUBT,
                expect=[SENDING],
                error_code="no_token",
                error="LigdiCash accepted the payout but sent no token",
            )

    def _record_error(self, item: LedgerItem, outcome: SendOutcome) -> None:
        code, message = outcome.code, outcome.message
        if outcome.fate is Fate.FAILED:
            self.ledger.move(item.id, FAILED, expect=[SENDING], error_code=code, error=message)
        elif outcome.fate is Fate.IN_DOUBT:
            self.ledger.move(item.id, IN_DOUBT, expect=[SENDING], error_code=code, error=message)
            self.ledger.settle_from_evidence(self.batch_id)
        elif outcome.fate is Fate.STOP:
            # The refusal proves nothing was paid: the item waits for the next run.
            self.ledger.move(item.id, PENDING, expect=[SENDING], error_code=code, error=message)
            self.ledger.set_paused(self.batch_id, message)
            self._halt_with("paused", message)
        else:
            self.ledger.move(item.id, PENDING, expect=[SENDING], error_code=code, error=message)
            with self._lock:
                self._unsent_in_a_row += 1
                streak = self._unsent_in_a_row
            if streak >= MAX_UNSENT_IN_A_ROW:
                self._halt_with("network", f"nothing could be sent: {message}")
            else:
                self._stop.wait(min(0.2 * 2**streak, 5.0))

    # -- the run --------------------------------------------------------------------------

    def _progress(self, started: float, settling: bool) -> None:
        if self.on_progress is None:
            return
        info = self.ledger.batch_info(self.batch_id)
        elapsed = max(time.monotonic() - started, 1e-6)
        self.on_progress(Progress(info, self._sent_count / elapsed, settling))

    def _poll(self) -> None:
        try:
            self.ledger.settle_from_evidence(self.batch_id)
            # Small rounds (four status calls per sender): the loop stays responsive.
            poll_sent(
                self.ledger,
                self.client,
                self.batch_id,
                interval=self.poll_interval,
                concurrency=self.workers,
                limit=4 * self.workers,
            )
        except Exception as exc:  # a failed status round is not fatal: the next one retries
            logger.warning("status polling failed: %s", type(exc).__name__)

    def run(self) -> RunResult:
        """Work on the batch until nothing is left, a stop, or a pause; then return.

        Raises:
            InvalidRequestError: the batch is not in the ledger.
        """
        self.ledger.batch_info(self.batch_id)  # raises for an unknown batch
        if self.unpause:
            self.ledger.set_paused(self.batch_id, "")
        self.ledger.heartbeat(self.identity, self.batch_id)
        recovered = self.ledger.recover(self.batch_id, self.identity)
        self.ledger.settle_from_evidence(self.batch_id)
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._sender, name=f"ligdicash-payout-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        last_beat = last_poll = 0.0
        settle_deadline: Optional[float] = None
        while True:
            now = time.monotonic()
            sending = any(t.is_alive() for t in threads)
            if now - last_beat >= HEARTBEAT_EVERY:
                self.ledger.heartbeat(self.identity, self.batch_id)
                last_beat = now
            # Ctrl-C and a failing ledger end the run as soon as the senders are done; a
            # pause only stops sending: what was sent is still settled.
            if self._stop.is_set() or self._halt_kind == "ledger":
                if not sending:
                    break
            else:
                # Each item's own interval is kept by due_for_poll; rounds run every tick.
                if now - last_poll >= 0.2:
                    last_poll = now
                    self._poll()
                if not sending:
                    if settle_deadline is None:
                        settle_deadline = now + self.settle_timeout
                    unsettled = self.ledger.batch_info(self.batch_id).count(SENT)
                    if unsettled == 0 or now >= settle_deadline:
                        break
            self._progress(started, settling=not sending)
            self._stop.wait(0.2)
        for thread in threads:
            thread.join()
        with self._claim_lock:
            self.ledger.release(list(self._claimed))
            self._claimed.clear()
        self.ledger.retire(self.identity)
        self._progress(started, settling=False)
        info = self.ledger.batch_info(self.batch_id)
        if self._halt_kind:
            return RunResult(info, self._halt_kind, recovered, self._halt_detail)
        if self._stop.is_set():
            return RunResult(info, "interrupted", recovered, "stopped on request")
        return RunResult(info, "", recovered)
