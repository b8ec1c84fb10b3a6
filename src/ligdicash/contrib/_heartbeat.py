"""The heartbeat that keeps a working process's short leases alive.

A worker holds two short leases while it works on a callback: the inbox entry's and the
event's claim. Short, so that when the worker dies (kill -9, OOM, a deploy) another copy,
the sweeper or the reconciler takes over within seconds; renewed, so that a live worker
keeps them however long its status call and handler take. One daemon thread per
:class:`Heartbeat` renews every lease registered with :meth:`Heartbeat.keep` a few times
per lease period; a renewal that answers False (the lease lapsed and was taken over) marks
the :class:`Beat` lost, and the flow checks that before running the handler.

The thread is started lazily and again after a ``fork`` (gunicorn's preloaded apps), and
never blocks the flows: they only register and unregister callables.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Optional

__all__ = ["Beat", "Heartbeat"]

logger = logging.getLogger("ligdicash.callbacks")

#: How often the thread looks for leases due for renewal.
TICK = 0.25


class Beat:
    """One lease kept alive by a :class:`Heartbeat` until :meth:`stop`.

    Attributes:
        lost: True once a renewal answered False (someone else owns the lease now).
    """

    def __init__(self, heartbeat: Heartbeat, renew: Callable[[], bool], every: float) -> None:
        self._heartbeat = heartbeat
        self.renew = renew
        self.every = every
        self.due = time.monotonic() + every
        self.lost = False
        # Held by the heartbeat thread while it calls renew(): stop() waits on it.
        self._renewing = threading.Lock()

    def stop(self) -> None:
        """Stop renewing (safe to call twice).

        Returns once no renewal is running, and none starts after: the caller may close
        the store next (a renewal still inside a closed SQLite connection crashed the
        interpreter once). So it may wait for one renewal in flight, at most the store's
        own timeout.
        """
        self._heartbeat.forget(self)
        if threading.current_thread() is not self._heartbeat._thread:
            with self._renewing:
                pass


class Heartbeat:
    """Renews registered leases every third of their length, in one daemon thread.

    A renewal that raises (the store is unreachable) is logged and retried at the next
    tick: the lease may still be live, and if it lapses the takeover is the store's
    business (only one owner wins), never a second handler run in a transactional store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._beats: list[Beat] = []
        self._thread: Optional[threading.Thread] = None
        self._pid = 0
        self._wake = threading.Event()

    def keep(self, renew: Callable[[], bool], lease_seconds: float) -> Beat:
        """Call ``renew()`` every ``lease_seconds / 3`` until the returned beat is stopped."""
        beat = Beat(self, renew, max(lease_seconds / 3.0, 0.05))
        with self._lock:
            self._beats.append(beat)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="ligdicash-heartbeat", daemon=True
                )
                self._thread.start()
        return beat

    def forget(self, beat: Beat) -> None:
        """Stop renewing ``beat``."""
        with self._lock:
            if beat in self._beats:
                self._beats.remove(beat)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [beat for beat in self._beats if beat.due <= now]
            for beat in due:
                with beat._renewing:
                    with self._lock:
                        if beat not in self._beats:  # stopped since: never renew again
                            continue
                    beat.due = time.monotonic() + beat.every
                    try:
                        if not beat.renew():
                            beat.lost = True
                            self.forget(beat)
                    except Exception as exc:  # the store is down: try again at the next tick
                        logger.warning("could not renew a lease: %s", type(exc).__name__)
            tick = min([TICK] + [beat.every for beat in due])
            self._wake.wait(tick)
