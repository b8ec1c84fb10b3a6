"""The sweeper: finishes the callbacks a dead worker stored but never finished.

Every endpoint keeps a callback in the store's inbox before answering 200. If the worker
then dies (kill -9, OOM, a deploy) or gives up (the status call failed), the entry stays
unfinished; once its short lease lapses, :meth:`CallbackProcessor.sweep` leases it again
(``inbox_claim_next``: one worker per entry, across processes and hosts) and processes it.
The sweeper runs that at worker start and then every ``interval`` seconds: a daemon thread
(:class:`Sweeper`, Django and Flask) or an asyncio task (:func:`asweep_forever`, FastAPI's
lifespan).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Generator
from typing import Any, Callable, Optional

from .._drive import Call, Effect, adrive, drive
from ._handler import CallbackProcessor

__all__ = ["DEFAULT_INTERVAL", "Sweeper", "asweep_forever"]

logger = logging.getLogger("ligdicash.callbacks")

#: Seconds between two sweeps.
DEFAULT_INTERVAL = 5.0


class Sweeper:
    """A daemon thread sweeping ``processor``'s inbox now and every ``interval`` seconds.

    :meth:`start` is idempotent (and starts a new thread in a forked child, whose parent's
    thread did not survive the ``fork``); :meth:`stop` ends the thread after the sweep in
    progress. A processor whose store has no inbox is never swept.

    Args:
        processor: the processor whose store's inbox is swept.
        interval: seconds between two sweeps (default 5).
        wrap: optional ``wrap(job) -> job`` around each sweep (a Flask app context,
            closing Django's connections), as for :class:`BackgroundRunner`.
    """

    def __init__(
        self,
        processor: CallbackProcessor,
        *,
        interval: float = DEFAULT_INTERVAL,
        wrap: Optional[Callable[[Callable[[], Any]], Callable[[], Any]]] = None,
    ) -> None:
        self.processor = processor
        self.interval = interval
        self._wrap = wrap
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._pid = 0

    def start(self) -> None:
        """Start sweeping in a daemon thread (once per process)."""
        if self.processor.inbox is None:
            return
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._stop = threading.Event()
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="ligdicash-sweeper", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stop after the sweep in progress; waits up to ``timeout`` for it."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        sweep: Callable[[], Any] = self.processor.sweep
        if self._wrap is not None:
            sweep = self._wrap(sweep)
        drive(_sweeps(sweep, stop.wait, self.interval, stop.is_set))


def _sweeps(
    sweep: Callable[[], Any],
    wait: Callable[[float], Any],
    interval: float,
    stopped: Callable[[], bool],
) -> Generator[Effect, Any, None]:
    """Sweep, then ``wait(interval)``, until ``stopped()``; blocking or async callables."""
    while not stopped():
        # A sweeper that dies leaves every stored callback of a dead worker waiting
        # forever, so nothing escapes one sweep: it is logged (the exception's class and
        # traceback; the stores' and clients' errors carry no secret) and the next sweep
        # runs as planned.
        try:
            swept = yield Call(sweep)
            if swept:
                logger.info("sweeper processed %d unfinished callbacks", swept)
        except Exception:
            logger.exception("sweep failed unexpectedly; sweeping again at the next interval")
        yield Call(wait, interval)


async def asweep_forever(
    processor: CallbackProcessor, *, interval: float = DEFAULT_INTERVAL
) -> None:
    """Sweep ``processor``'s inbox now and every ``interval`` seconds until cancelled
    (run it as a task in your ASGI app's lifespan)."""
    import anyio

    if processor.inbox is None:
        return
    await adrive(_sweeps(processor.asweep, anyio.sleep, interval, lambda: False))
