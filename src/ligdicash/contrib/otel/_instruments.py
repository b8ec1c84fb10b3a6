"""The metric instruments: counters, the status-call histogram and the inbox gauges.

The inbox gauges are observable: the metric reader asks for them at each collection, and
each watched store answers with two small queries (``inbox_backlog()`` and the oldest
unfinished entry), so nothing runs between collections.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from . import _names as n

__all__ = ["Instruments"]

logger = logging.getLogger("ligdicash.otel")


class Instruments:
    """The SDK's metric instruments on one meter, and the stores whose inbox is gauged."""

    def __init__(self, meter: Meter) -> None:
        self.calls = meter.create_counter(
            n.METRIC_CALLS,
            unit="{call}",
            description="SDK operations (API calls) by operation, platform and outcome",
        )
        self.status_duration = meter.create_histogram(
            n.METRIC_STATUS_DURATION,
            unit="s",
            description="Duration of status calls, retries and their waits included",
        )
        self.callbacks = meter.create_counter(
            n.METRIC_CALLBACKS,
            unit="{callback}",
            description="Callbacks and polls processed, by outcome and source",
        )
        self.payout_transitions = meter.create_counter(
            n.METRIC_PAYOUT_TRANSITIONS,
            unit="{item}",
            description="Payout items moved to a state in a payouts ledger, by state",
        )
        self._lock = threading.Lock()
        self._stores: dict[str, Any] = {}
        meter.create_observable_gauge(
            n.METRIC_INBOX_BACKLOG,
            callbacks=[self._observe_backlog],
            unit="{callback}",
            description="Unfinished callbacks in the inbox (pending or processing)",
        )
        meter.create_observable_gauge(
            n.METRIC_INBOX_OLDEST_AGE,
            callbacks=[self._observe_oldest_age],
            unit="s",
            description="Age of the oldest unfinished callback in the inbox (0 when empty)",
        )

    def watch_store(self, store: Any, name: str) -> None:
        """Gauge ``store``'s inbox under ``name`` (replacing a store watched under it)."""
        with self._lock:
            self._stores[name] = store

    def unwatch_stores(self) -> None:
        """Stop gauging every store."""
        with self._lock:
            self._stores.clear()

    def _watched(self) -> list[tuple[str, Any]]:
        with self._lock:
            return list(self._stores.items())

    def _observe_backlog(self, options: CallbackOptions) -> Iterable[Observation]:
        found = []
        for name, store in self._watched():
            try:
                found.append(Observation(store.inbox_backlog(), {n.STORE: name}))
            except Exception as exc:  # a store down must not break the whole collection
                logger.warning("inbox gauge %s: the store failed (%s)", name, type(exc).__name__)
        return found

    def _observe_oldest_age(self, options: CallbackOptions) -> Iterable[Observation]:
        found = []
        now = time.time()
        for name, store in self._watched():
            try:
                oldest = [
                    entry.received_at
                    for state in ("pending", "processing")
                    for entry in store.inbox_list(state=state, limit=1)
                ]
            except Exception as exc:
                logger.warning("inbox gauge %s: the store failed (%s)", name, type(exc).__name__)
                continue
            age = max(0.0, now - min(oldest)) if oldest else 0.0
            found.append(Observation(age, {n.STORE: name}))
        return found
