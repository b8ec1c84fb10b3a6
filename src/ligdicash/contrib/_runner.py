"""A small thread pool for the integrations that answer first and work afterwards."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Optional

__all__ = ["BackgroundRunner"]


class BackgroundRunner:
    """A small thread pool running :meth:`CallbackProcessor.process` after the response.

    Used by the Django and Flask integrations so the endpoint answers 200 at once. Threads
    are daemon-less pool workers named ``ligdicash-callback``; ``shutdown()`` waits for
    the work in progress.

    Args:
        max_workers: concurrent callbacks processed (default 4).
        wrap: optional ``wrap(job) -> job`` run around each job, e.g. to set up and tear
            down a framework context (Flask app context, Django DB connections).
    """

    def __init__(
        self,
        max_workers: int = 4,
        *,
        wrap: Optional[Callable[[Callable[[], Any]], Callable[[], Any]]] = None,
    ) -> None:
        self._max_workers = max_workers
        self._wrap = wrap
        self._lock = threading.Lock()
        self._pool: Optional[ThreadPoolExecutor] = None

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        """Run ``job()`` on the pool; returns its future."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix="ligdicash-callback"
                )
            pool = self._pool
        # In the submitter's context (contextvars): a tracing span current in the request
        # (a Django or Flask instrumentation's) is the parent of the work done afterwards.
        run = contextvars.copy_context().run
        return pool.submit(run, self._wrap(job) if self._wrap is not None else job)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the pool (a later ``submit`` starts a new one)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)
