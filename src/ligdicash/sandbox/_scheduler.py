"""A single background thread that settles transactions when their delay has passed."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from typing import Callable

logger = logging.getLogger("ligdicash.sandbox")


class Scheduler:
    """Calls ``on_due(token)`` once each planned moment is reached (in its own thread)."""

    def __init__(self, on_due: Callable[[str], None]) -> None:
        self._on_due = on_due
        self._heap: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)
        self._thread.start()

    def schedule(self, token: str, due: float) -> None:
        """Plan ``on_due(token)`` at ``due`` (a ``time.time()`` value; past means now)."""
        with self._cond:
            heapq.heappush(self._heap, (due, token))
            self._cond.notify()

    def clear(self) -> None:
        """Forget every planned settlement."""
        with self._cond:
            self._heap.clear()

    def close(self) -> None:
        """Stop the thread (planned settlements stay in the database for a restart)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    now = time.time()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    timeout = self._heap[0][0] - now if self._heap else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, token = heapq.heappop(self._heap)
            try:
                self._on_due(token)
            except Exception:
                logger.exception("settling a transaction failed")
