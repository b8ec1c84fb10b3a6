"""OpenTelemetry traces and metrics for the SDK: API calls, callbacks, payouts, the inbox.

::

    from ligdicash.contrib.otel import LigdicashInstrumentor

    LigdicashInstrumentor().instrument()   # OpenTelemetry's global providers, or pass yours

Spans: one per SDK operation (``ligdicash payin_status``: outcome, HTTP status, attempts,
whether a failed request may have been sent), one per callback processed (outcome,
reason), one per attempt at a payout item. Metrics: calls by operation and outcome, the
status-call latency, callbacks by outcome, payout items by state reached, and the inbox
backlog and oldest entry's age (:meth:`LigdicashInstrumentor.watch_inbox`). Spans join the
trace that is current (a Django, Flask, FastAPI or Celery instrumentation's span is their
parent) and the httpx instrumentation's spans are children of the SDK's (give it
:func:`httpx_hooks`, which keep tokens and phone numbers out of the URLs it records).

No credential, token, OTP, phone number or body is ever recorded. See
``docs/observability.md``. Needs ``pip install 'ligdicash[otel]'`` (``opentelemetry-api``;
add ``opentelemetry-sdk`` and an exporter to send the data somewhere).
"""

from __future__ import annotations

try:
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "ligdicash.contrib.otel needs OpenTelemetry: pip install 'ligdicash[otel]'"
    ) from exc

from ._httpx import httpx_hooks, redact_url
from ._instrumentor import LigdicashInstrumentor, OtelObserver

__all__ = ["LigdicashInstrumentor", "OtelObserver", "httpx_hooks", "redact_url"]
