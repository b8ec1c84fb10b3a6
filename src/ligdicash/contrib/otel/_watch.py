"""Running a sans-IO generator under a span: :func:`watched`, and what each kind of work records.

:func:`watched` runs the SDK's generator unchanged (every step yielded out, every outcome
sent or thrown back in, its result returned, its error raised) with the span current in
the driver's context, so the driver's I/O (the HTTP send, which the httpx instrumentation
turns into a span of its own) happens inside it. A :class:`Watch` is told what happens:
each step's outcome, then the result or the error, then the end.

What a span holds is chosen here and nowhere else: operation names, outcomes, codes,
counts. Never a credential, a token, an OTP, a phone number or a body: the values recorded
are the SDK's own names, numbers and short codes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from contextvars import Token
from typing import Any, Callable, Optional, TypeVar

import httpx
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from ..._exceptions import LigdicashError, RequestRefusedError
from ..._operations import Operation
from . import _names as n
from ._instruments import Instruments

__all__ = ["ApiCallWatch", "CallbackWatch", "PayoutWatch", "Watch", "watched"]

E = TypeVar("E")
S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")

logger = logging.getLogger("ligdicash.otel")


class Watch:
    """What one piece of work records; the base records nothing but the span's end."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self.ended = False

    def step_returned(self, value: Any) -> None:
        """A step performed by the driver returned ``value``."""

    def step_failed(self, error: BaseException) -> None:
        """A step performed by the driver raised ``error`` (thrown into the work)."""

    def returned(self, result: Any) -> None:
        """The work returned ``result``."""

    def raised(self, error: BaseException) -> None:
        """The work raised ``error``."""

    def abandoned(self) -> None:
        """The work was closed before it finished (its task cancelled, the process stopping)."""
        self.span.set_attribute(n.OUTCOME, "cancelled")

    def end(self) -> None:
        """Record the metrics and end the span (once)."""
        if not self.ended:
            self.ended = True
            self.span.end()


def watched(gen: Generator[E, S, R], start: Callable[[], Watch]) -> Generator[E, S, R]:
    """Run ``gen`` step by step under the span of ``start()`` (called at the first step, so
    the span covers the work, and a generator never driven starts none); tell the watch what
    happens. A failure of the telemetry itself is logged and never changes the work's
    result: a payment created is never reported failed because a span could not be written.
    """
    watch = _safely(start)
    token = None if watch is None else _safely(_attach, watch.span)
    finished = False
    try:
        value: Any = None
        error: Optional[BaseException] = None
        while True:
            try:
                step = gen.send(value) if error is None else gen.throw(error)
            except StopIteration as stop:
                finished = True
                if watch is not None:
                    _safely(watch.returned, stop.value)
                result: R = stop.value
                return result
            except Exception as exc:
                finished = True
                if watch is not None:
                    _safely(watch.raised, exc)
                raise
            error = None
            try:
                value = yield step
            except Exception as exc:  # what the step raised, handed in by the driver
                if watch is not None:
                    _safely(watch.step_failed, exc)
                error, value = exc, None
            else:
                if watch is not None:
                    _safely(watch.step_returned, value)
    finally:
        gen.close()
        if watch is not None:
            if not finished:
                _safely(watch.abandoned)
            _safely(watch.end)
        if token is not None:
            otel_context.detach(token)


def _attach(span: Span) -> Token[Context]:
    return otel_context.attach(trace.set_span_in_context(span))


def _safely(action: Callable[..., T], *args: Any) -> Optional[T]:
    """``action(*args)``, or ``None`` after logging what it raised (never the message)."""
    try:
        return action(*args)
    except Exception as exc:
        logger.error("ligdicash telemetry failed: %s (ignored)", type(exc).__name__)
        return None


def _error_attributes(span: Span, error: BaseException) -> str:
    """Record ``error``'s type and code (never its message) on ``span``; its outcome."""
    span.set_attribute(n.ERROR_TYPE, type(error).__name__)
    if isinstance(error, LigdicashError):
        span.set_attribute(n.ERROR_CODE, error.code)
        span.set_attribute(n.MAY_HAVE_BEEN_SENT, error.request_may_have_been_sent)
        http_status = getattr(error, "http_status", None)
        if isinstance(http_status, int) and http_status:
            span.set_attribute(n.HTTP_STATUS, http_status)
    # The status description is the code too: a message may quote the server's text.
    code = error.code if isinstance(error, LigdicashError) else type(error).__name__
    span.set_status(Status(StatusCode.ERROR, code))
    if isinstance(error, RequestRefusedError):
        return "refused"
    if isinstance(error, LigdicashError) and error.request_may_have_been_sent:
        return "uncertain"
    return "failed"


class ApiCallWatch(Watch):
    """One SDK operation: attempts (HTTP answers and send failures), status, outcome."""

    def __init__(
        self, span: Span, instruments: Instruments, operation: Operation, platform: str
    ) -> None:
        super().__init__(span)
        self._instruments = instruments
        self._operation = operation
        self._platform = platform
        self._attempts = 0
        self._outcome = "cancelled"
        self._started = time.perf_counter()

    def step_returned(self, value: Any) -> None:
        if isinstance(value, httpx.Response):
            self._attempts += 1
            self.span.set_attribute(n.HTTP_STATUS, value.status_code)
            self.span.add_event(
                n.EVENT_ATTEMPT,
                {n.ATTEMPT: self._attempts, n.HTTP_STATUS: value.status_code},
            )

    def step_failed(self, error: BaseException) -> None:
        self._attempts += 1
        self.span.add_event(
            n.EVENT_ATTEMPT, {n.ATTEMPT: self._attempts, n.ERROR_TYPE: type(error).__name__}
        )

    def returned(self, result: Any) -> None:
        self._outcome = "ok"
        self.span.set_attribute(n.OUTCOME, "ok")

    def raised(self, error: BaseException) -> None:
        self._outcome = _error_attributes(self.span, error)
        self.span.set_attribute(n.OUTCOME, self._outcome)

    def end(self) -> None:
        if self.ended:
            return
        self.span.set_attribute(n.ATTEMPTS, self._attempts)
        labels = {
            n.OPERATION: self._operation.name,
            n.PLATFORM: self._platform,
            n.OUTCOME: self._outcome,
        }
        self._instruments.calls.add(1, labels)
        if self._operation.family == "status":
            self._instruments.status_duration.record(time.perf_counter() - self._started, labels)
        super().end()


class CallbackWatch(Watch):
    """One callback (or poll) processed: the ``ProcessResult``'s outcome and reason."""

    def __init__(self, span: Span, instruments: Instruments, source: str) -> None:
        super().__init__(span)
        self._instruments = instruments
        self._source = source
        self._outcome = "cancelled"
        self._reason = ""

    def returned(self, result: Any) -> None:
        # Duck-typed ProcessResult: outcome and reason are the SDK's short words and codes.
        self._outcome = str(getattr(result, "outcome", "unknown"))
        self._reason = str(getattr(result, "reason", ""))[:200]
        self.span.set_attribute(n.OUTCOME, self._outcome)
        if self._reason:
            self.span.set_attribute(n.REASON, self._reason)
        if self._outcome == "failed":
            self.span.set_status(Status(StatusCode.ERROR, self._reason or "failed"))

    def raised(self, error: BaseException) -> None:
        self._outcome = "failed"
        _error_attributes(self.span, error)
        self.span.set_attribute(n.OUTCOME, "failed")

    def end(self) -> None:
        if self.ended:
            return
        # An entry another worker held: nothing happened here (as on_result, not counted).
        if self._reason != "inbox_taken":
            self._instruments.callbacks.add(
                1, {n.OUTCOME: self._outcome, n.CALLBACK_SOURCE: self._source}
            )
        super().end()


class PayoutWatch(Watch):
    """One attempt at one payout item: sent (LigdiCash answered a token) or its fate."""

    def returned(self, result: Any) -> None:
        if result is None:
            self.span.set_attribute(n.OUTCOME, "sent")
            return
        # Duck-typed SendOutcome: fate (failed / stop / retry / in_doubt) and a short code.
        fate = getattr(getattr(result, "fate", None), "value", "unknown")
        self.span.set_attribute(n.OUTCOME, str(fate))
        self.span.set_attribute(n.ERROR_CODE, str(getattr(result, "code", ""))[:200])
        if fate in ("failed", "in_doubt", "stop"):
            self.span.set_status(Status(StatusCode.ERROR, str(fate)))

    def raised(self, error: BaseException) -> None:
        outcome = _error_attributes(self.span, error)
        self.span.set_attribute(n.OUTCOME, outcome)
