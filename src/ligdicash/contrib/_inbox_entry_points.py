"""The processor's durable-inbox entry points: keep a callback, process it from the inbox,
sweep what a dead worker left.

:class:`InboxEntryPoints` is a base of :class:`~ligdicash.contrib.CallbackProcessor`: the
endpoints call :meth:`~InboxEntryPoints.accept` before answering 200, then
:meth:`~InboxEntryPoints.process_inbox`; the sweeper calls :meth:`~InboxEntryPoints.sweep`.
The flows they drive are in ``_inbox``; the callback flow they run on each stored body,
and the drivers, are the processor's (``_handler``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Generator
from typing import Any, Callable, Optional

from .._callbacks import parse_callback
from .._drive import adrive, drive
from .._exceptions import ConfigurationError, InvalidCallbackError, StoreUnavailableError
from .._observe import watch_callback
from .._stores._base import Store
from .._stores._types import InboxEntry
from . import _timing
from ._effects import Effect, aperform, perform
from ._inbox import entry_flow, purge_flow, sweep_flow
from ._steps import ClaimSteps, Flow
from ._types import ProcessResult

__all__ = ["DEFAULT_INBOX_RETENTION", "DEFAULT_MAX_PENDING", "PURGE_INTERVAL", "InboxEntryPoints"]

#: How long a finished inbox entry is kept (seconds): 7 days.
DEFAULT_INBOX_RETENTION = 7 * 86_400.0
#: How many unfinished callbacks the inbox holds before the endpoints answer 503.
DEFAULT_MAX_PENDING = 10_000
#: Seconds between two purges by the sweeps of one processor.
PURGE_INTERVAL = 60.0

logger = logging.getLogger("ligdicash.callbacks")


class InboxEntryPoints(ClaimSteps):
    """The inbox entry points; the processor provides the callback flow and the drivers."""

    lease_seconds: Optional[float]
    max_attempts: int
    max_pending: Optional[int]
    inbox_retention: Optional[float]
    _last_purge: Optional[float]
    _body_flow: Callable[[bytes, str], Flow]
    _run_sync: Callable[[Flow], ProcessResult]
    _run_async: Callable[[Flow], Awaitable[ProcessResult]]
    _finish: Callable[[ProcessResult], ProcessResult]

    @property
    def inbox(self) -> Optional[Store]:
        """The store when it has a callback inbox (every built-in one), else ``None``."""
        return self.store if isinstance(self.store, Store) else None

    def accept(self, body: bytes, content_type: str) -> Optional[InboxEntry]:
        """Keep a received callback in the inbox; the endpoints answer 200 only after this.

        An unreadable body is refused before storage (logged and reported to
        ``on_result`` as today; the endpoints still answer 200, revealing nothing).

        With ``max_pending`` set, a callback is not kept while the inbox already holds
        that many unfinished ones (a flood of forged bodies): the endpoint answers 503 and
        LigdiCash sends a genuine one again later.

        Returns:
            The stored entry (process it with :meth:`process_inbox`), or ``None`` for an
            unreadable body.

        Raises:
            ConfigurationError: the store has no inbox.
            StoreUnavailableError: the store cannot take it, or the inbox is full
                (``code="inbox_full"``): answer 503.
        """
        inbox = self.inbox
        if inbox is None:
            raise ConfigurationError(f"{type(self.store).__name__} has no callback inbox")
        try:
            parse_callback(body, content_type)
        except InvalidCallbackError:
            self._run_sync(self._body_flow(body, content_type))  # logs and reports it
            return None
        if self.max_pending is not None:
            backlog = inbox.inbox_backlog()
            if backlog >= self.max_pending:
                raise StoreUnavailableError(
                    f"the callback inbox holds {backlog} unfinished callbacks "
                    f"(max_pending={self.max_pending}): not keeping more until the workers "
                    f"catch up",
                    code="inbox_full",
                )
        return inbox.inbox_put(body, content_type, received_at=time.time())

    def purge_inbox(self, older_than: Optional[float] = None) -> int:
        """Delete the inbox entries finished more than ``older_than`` seconds ago (default
        ``inbox_retention``); returns how many. The sweeps call it once a minute. Never
        raises (a failure is logged)."""
        inbox = self.inbox
        keep = self.inbox_retention if older_than is None else older_than
        if inbox is None or keep is None:
            return 0
        return drive(purge_flow(inbox, older_than=keep), perform)

    def process_inbox(self, digest: str) -> ProcessResult:
        """Lease the inbox entry ``digest`` and process it (done, or left for the sweeper).

        An entry another worker holds or finished is left alone (reason
        ``"inbox_taken"``; ``on_result`` is not called). Never raises.
        """
        return self._run_sync(self._entry_flow(digest))

    async def aprocess_inbox(self, digest: str) -> ProcessResult:
        """:meth:`process_inbox` for async apps. Never raises."""
        return await self._run_async(self._entry_flow(digest))

    def sweep(self) -> int:
        """Process every inbox entry stored but never finished whose lease lapsed (its
        worker died or gave up), one worker per entry; returns how many. Never raises."""
        try:
            return drive(self._sweep_flow(), perform)
        except Exception:
            logger.exception("sweep failed unexpectedly")
            return 0

    async def asweep(self) -> int:
        """:meth:`sweep` for async apps. Never raises."""
        try:
            return await adrive(self._sweep_flow(), aperform)
        except Exception:
            logger.exception("sweep failed unexpectedly")
            return 0

    def _inbox_lease(self) -> float:
        if self.lease_seconds is None:
            return _timing.RENEWED_LEASE
        return max(self.lease_seconds, _timing.MIN_RENEWED_LEASE)

    def _entry_flow(self, digest: str) -> Flow:
        inbox = self.inbox
        if inbox is None:
            return ProcessResult("failed", "no_inbox")
        return (
            yield from entry_flow(
                inbox,
                digest,
                lease=self._inbox_lease(),
                heartbeat=self._heartbeat,
                body_flow=self._body_flow,
                max_attempts=self.max_attempts,
            )
        )

    def _sweep_flow(self) -> Generator[Effect, Any, int]:
        inbox = self.inbox
        if inbox is None:
            return 0
        swept = yield from sweep_flow(
            inbox,
            lease=self._inbox_lease(),
            heartbeat=self._heartbeat,
            body_flow=lambda body, content_type: watch_callback(
                self._body_flow(body, content_type), source="sweep"
            ),
            max_attempts=self.max_attempts,
            report=self._finish,
        )
        now = time.monotonic()
        if self.inbox_retention is not None and (
            self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL
        ):
            self._last_purge = now
            yield from purge_flow(inbox, older_than=self.inbox_retention)
        return swept
