"""The OpenTelemetry observer of the SDK, and :class:`LigdicashInstrumentor` that installs it."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable
from typing import Any, Optional, TypeVar, Union

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from ... import _observe
from ..._operations import Operation
from ..._version import __version__
from . import _names as n
from ._instruments import Instruments
from ._watch import ApiCallWatch, CallbackWatch, PayoutWatch, watched

__all__ = ["LigdicashInstrumentor", "OtelObserver"]

E = TypeVar("E")
S = TypeVar("S")
R = TypeVar("R")

#: Which entry point a callback flow came from, by the name of the processor's generator
#: (the sweep names its own source).
_SOURCES = {
    "_body_flow": "callback",
    "_callback_flow": "callback",
    "_entry_flow": "inbox",
    "_reconcile_flow": "poll",
}


class OtelObserver:
    """The :class:`ligdicash._observe.Observer` that records spans and metrics.

    Args:
        tracer_provider, meter_provider: where spans and metrics go (default: the global
            providers, ``opentelemetry.trace.set_tracer_provider`` etc.).
    """

    def __init__(
        self,
        *,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
    ) -> None:
        self._tracer = trace.get_tracer(n.SCOPE, __version__, tracer_provider)
        self.instruments = Instruments(metrics.get_meter(n.SCOPE, __version__, meter_provider))

    def api_call(
        self, gen: Generator[E, S, R], *, operation: Operation, platform: str
    ) -> Generator[E, S, R]:
        """``gen`` under a ``ligdicash <operation>`` span; counted, status calls timed."""

        def start() -> ApiCallWatch:
            span = self._tracer.start_span(
                n.SPAN_API_CALL.format(operation=operation.name),
                attributes={n.OPERATION: operation.name, n.PLATFORM: platform},
            )
            return ApiCallWatch(span, self.instruments, operation, platform)

        return watched(gen, start)

    def callback(
        self, flow: Generator[E, S, R], *, source: Optional[str] = None
    ) -> Generator[E, S, R]:
        """``flow`` under a ``ligdicash callback`` span; counted by outcome and source."""
        shown = source or _SOURCES.get(getattr(flow, "__name__", ""), "callback")

        def start() -> CallbackWatch:
            span = self._tracer.start_span(n.SPAN_CALLBACK, attributes={n.CALLBACK_SOURCE: shown})
            return CallbackWatch(span, self.instruments, shown)

        return watched(flow, start)

    def payout_attempt(
        self,
        gen: Generator[E, S, R],
        *,
        batch_id: str,
        item_id: str,
        attempt: int,
        payout_type: str,
    ) -> Generator[E, S, R]:
        """``gen`` (one ``send_item``) under a ``ligdicash payout_item`` span."""
        attributes: dict[str, Union[str, int]] = {
            n.BATCH_ID: batch_id,
            n.ITEM_ID: item_id,
            n.ATTEMPT: attempt,
            n.PAYOUT_TYPE: payout_type,
        }
        return watched(
            gen, lambda: PayoutWatch(self._tracer.start_span(n.SPAN_PAYOUT, attributes=attributes))
        )

    def payout_moved(self, state: str, count: int) -> None:
        """Count ``count`` payout items moved to ``state``."""
        self.instruments.payout_transitions.add(count, {n.PAYOUT_STATE: state})


class LigdicashInstrumentor:
    """Traces and metrics of the SDK for the whole process, switched on and off.

    In the style of the ``opentelemetry-instrumentation-*`` packages (one shared instance)::

        from ligdicash.contrib.otel import LigdicashInstrumentor

        LigdicashInstrumentor().instrument()          # the global tracer and meter providers
        LigdicashInstrumentor().watch_inbox(store)    # the inbox gauges of a store

    Every ``Client``, ``AsyncClient``, ``CallbackProcessor`` and payouts run of the process
    is then observed, whenever it was made. ``instrument()`` twice replaces the providers.
    """

    _instance: Optional[LigdicashInstrumentor] = None
    _lock = threading.Lock()
    _observer: Optional[OtelObserver]

    def __new__(cls) -> LigdicashInstrumentor:
        with cls._lock:
            if cls._instance is None:
                instance = super().__new__(cls)
                instance._observer = None
                cls._instance = instance
            return cls._instance

    @property
    def is_instrumented(self) -> bool:
        """True between :meth:`instrument` and :meth:`uninstrument`."""
        return self._observer is not None

    def instrument(
        self,
        *,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
        inbox_stores: Union[Iterable[Any], dict[str, Any], None] = None,
    ) -> None:
        """Start recording spans and metrics for every SDK object of the process.

        Args:
            tracer_provider, meter_provider: default: OpenTelemetry's global ones.
            inbox_stores: stores whose callback inbox the gauges report (see
                :meth:`watch_inbox`); a dict names them.
        """
        observer = OtelObserver(tracer_provider=tracer_provider, meter_provider=meter_provider)
        with self._lock:
            previous, self._observer = self._observer, observer
            if previous is not None:
                previous.instruments.unwatch_stores()
            _observe.set_observer(observer)
        if isinstance(inbox_stores, dict):
            for name, store in inbox_stores.items():
                self.watch_inbox(store, name=name)
        else:
            for store in inbox_stores or ():
                self.watch_inbox(store)

    def watch_inbox(self, store: Any, *, name: Optional[str] = None) -> None:
        """Report ``store``'s inbox backlog and oldest entry's age at each metric collection.

        ``name`` labels it (``ligdicash.store``; default: the store's class name, e.g.
        ``PostgresStore``); never its URL, which may hold a password.

        Raises:
            RuntimeError: not instrumented (call :meth:`instrument` first).
        """
        observer = self._observer
        if observer is None:
            raise RuntimeError("call LigdicashInstrumentor().instrument() first")
        observer.instruments.watch_store(store, name or type(store).__name__)

    def uninstrument(self) -> None:
        """Stop recording (work under way finishes its spans). Safe to call twice."""
        with self._lock:
            observer, self._observer = self._observer, None
            if observer is not None:
                observer.instruments.unwatch_stores()
                if _observe.current_observer() is observer:
                    _observe.set_observer(None)
