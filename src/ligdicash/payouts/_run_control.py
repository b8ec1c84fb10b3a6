"""When a run's senders may go on: the send-rate limit, and the stop that every wait heeds.

A run stops from two sides: :meth:`RunControl.request_stop` from any thread (the CLI's
Ctrl-C and SIGTERM, a progress callback), and :meth:`RunControl.halt` on the engine's event
loop (a refusal about the account, nothing leaving the machine, a failing ledger). Either
one wakes every wait of the run at once (:meth:`RunControl.rest`,
:meth:`RunControl.rest_or_done`), so a stop never waits for a tick or a rate-limit slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any, Optional

from .._exceptions import InvalidRequestError

__all__ = ["TICK", "RateLimiter", "RunControl"]

#: The engine's tick: the longest a wait lasts before the supervisor looks again.
TICK = 0.2


class RateLimiter:
    """At most ``rate`` sends per second across every request of a run (``None``: no limit).

    Used from the engine's event loop only (one thread): no lock.

    Raises:
        InvalidRequestError: ``rate`` is not positive.
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


class RunControl:
    """Whether a :class:`~._runner.BatchRunner`'s run is stopping, and the waits a stop
    cuts short.

    A requested stop lasts as long as the runner (a later run stops at once: it is a request
    to stop); a halt and the closing of a run last one run (:meth:`start` clears them).
    :meth:`request_stop` may be called from any thread; everything else runs on the event
    loop of the run.

    Attributes:
        halt_kind: why the run halted (``kind`` as in :attr:`~._records.RunResult.stopped`),
            or ``""``; the first halt of a run wins.
        halt_detail: a sentence about that halt.
    """

    def __init__(self) -> None:
        # A threading.Event because a stop may come from any thread (a signal handler, a
        # progress callback), plus a wake-up of the loop's own event while a run is going.
        self._requested = threading.Event()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._wake: Optional[asyncio.Event] = None
        self._closing = False
        self.halt_kind = ""
        self.halt_detail = ""

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`request_stop` was called."""
        return self._requested.is_set()

    def request_stop(self) -> None:
        """Ask the run to stop (any thread); wakes the run's waits when one is going."""
        self._requested.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            # RuntimeError: the loop is closed, the run is over.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    def start(self) -> None:
        """Begin a run on the running event loop: no halt, not closing; a stop requested
        before still holds."""
        self._closing, self.halt_kind, self.halt_detail = False, "", ""
        # Made here, not in __init__: on Python 3.9 it binds to the loop current at creation.
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if self._requested.is_set():
            self._wake.set()

    def halt(self, kind: str, detail: str) -> None:
        """Stop every sender of the run now; the first halt's ``kind`` and ``detail`` stay."""
        if not self.halt_kind:
            self.halt_kind, self.halt_detail = kind, detail
        if self._wake is not None:
            self._wake.set()

    def close(self) -> None:
        """The run is ending: the senders finish what they have in flight, claim no more."""
        assert self._wake is not None
        self._closing = True
        self._wake.set()

    def detach(self) -> None:
        """The run's senders are done: a later :meth:`request_stop` has no loop to wake."""
        self._loop = None

    def stopping(self) -> bool:
        """True once a stop was requested, the run halted, or it is closing."""
        return self._requested.is_set() or bool(self.halt_kind) or self._closing

    async def rest(self, seconds: float) -> bool:
        """Wait ``seconds`` or until the run stops; True if it stops."""
        assert self._wake is not None
        if seconds > 0 and not self.stopping():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        return self.stopping()

    async def rest_or_done(self, slots: Sequence[asyncio.Future[None]]) -> None:
        """One tick, cut short when the last of ``slots`` finishes or the run is stopped."""
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
