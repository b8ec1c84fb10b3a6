"""One hosted payment traced from its creation to its handled callback, printed as a tree.

Runs a local sandbox, switches the SDK's OpenTelemetry integration on (with the official
httpx instrumentation and its URL-redacting hooks), and exports in memory:

1. the checkout request: ``Invoice.pay_with_redirection`` under the shop's own span;
2. the customer pays (the sandbox's control API, not traced);
3. the callback request: LigdiCash's POST kept in the inbox and processed by the real
   ``CallbackProcessor`` on a SQLite store, under a span that stands for the web
   framework's server span (a Django/Flask/FastAPI instrumentation makes that one).

Usage: python scripts/otel_trace.py [--json]   (needs the sandbox extra, opentelemetry-sdk
and opentelemetry-instrumentation-httpx: ``pip install -e . --group dev``). The text output
is the one shown in docs/observability.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import ligdicash
from ligdicash import open_store
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction
from ligdicash.contrib.otel import LigdicashInstrumentor, httpx_hooks
from ligdicash.sandbox import CallbackReceiver, Sandbox, SandboxConfig

ORDER = "ORD-20241207"
AMOUNT = 31500


def run(store_path: Path) -> tuple[list[ReadableSpan], Any]:
    """Run the payment; the finished spans and the metrics collected at the end."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    LigdicashInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    httpx_instrumentor = HTTPXClientInstrumentor()
    httpx_instrumentor.instrument(tracer_provider=tracer_provider, **httpx_hooks())
    shop = tracer_provider.get_tracer("shop")
    try:
        with Sandbox(SandboxConfig.fast()) as sandbox, CallbackReceiver() as rx:
            client = ligdicash.Client(
                api_key=sandbox.api_key, auth_token=sandbox.auth_token, base_url=sandbox.base_url
            )
            store = open_store(f"sqlite:///{store_path}")
            with client:
                with shop.start_as_current_span("POST /checkout"):
                    invoice = client.Invoice(description="Order", store_name="MySuperStore")
                    invoice.add_item(
                        name="Kente shirt", description="", quantity=2, unit_price=AMOUNT // 2
                    )
                    response = invoice.pay_with_redirection(
                        return_url=rx.return_url,
                        cancel_url=rx.cancel_url,
                        callback_url=rx.callback_url,
                        custom_data={"transaction_id": ORDER},
                    )
                with suppress_instrumentation():  # the customer pays on the hosted page
                    sandbox.approve(response.token)
                    delivery = rx.wait_for(1, timeout=20)[0]

                def lookup(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
                    if callback.order_id != ORDER:
                        return None
                    return ExpectedTransaction(response.token, AMOUNT, ORDER)

                processor = CallbackProcessor(
                    lookup=lookup, handler=lambda tx: None, client=client, store=store
                )
                LigdicashInstrumentor().watch_inbox(store, name="shop")
                with shop.start_as_current_span("POST /ligdicash/callback"):
                    entry = processor.accept(delivery.body.encode(), delivery.content_type)
                    assert entry is not None
                    result = processor.process_inbox(entry.digest)
                assert result.outcome == "processed", result
            store.close()
        return list(exporter.get_finished_spans()), reader.get_metrics_data()
    finally:
        httpx_instrumentor.uninstrument()
        LigdicashInstrumentor().uninstrument()


def _shown(span: ReadableSpan) -> str:
    attributes = dict(span.attributes or {})
    if span.instrumentation_scope is not None and span.instrumentation_scope.name != "ligdicash":
        # The httpx spans: method, status and the (redacted) URL's path only.
        url = str(attributes.get("url.full") or attributes.get("http.url") or "")
        path = url.split("/pay/", 1)[-1] if "/pay/" in url else url.rsplit("/", 1)[-1]
        status = attributes.get("http.response.status_code") or attributes.get("http.status_code")
        scope = span.instrumentation_scope.name.split(".")[-1]
        method = span.name.removeprefix("HTTP ")  # older instrumentations: "HTTP POST"
        return f"{method} [{scope}] .../{path} -> {status}" if url else method
    pairs = " ".join(f"{k.removeprefix('ligdicash.')}={v}" for k, v in attributes.items())
    return f"{span.name}  {pairs}".rstrip()


def shop_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    """The spans of the shop's traces: the sandbox's own callback deliveries (LigdiCash's
    side of the wire, which a real shop never sees) are left out."""
    shop_traces = {
        s.context.trace_id
        for s in spans
        if s.parent is None and s.instrumentation_scope and s.instrumentation_scope.name == "shop"
    }
    return [s for s in spans if s.context.trace_id in shop_traces]


def render(spans: list[ReadableSpan]) -> str:
    """The spans as one indented tree per trace, children in start order."""
    children: dict[Optional[int], list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)
    lines: list[str] = []

    def walk(span: ReadableSpan, depth: int) -> None:
        took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        lines.append(f"{'    ' * depth}{_shown(span)}   ({took:.1f} ms)")
        for event in span.events:
            shown = " ".join(
                f"{k.removeprefix('ligdicash.')}={v}" for k, v in (event.attributes or {}).items()
            )
            lines.append(f"{'    ' * (depth + 1)}· event {event.name} {shown}")
        for child in children.get(span.context.span_id, []):
            walk(child, depth + 1)

    for number, root in enumerate(children.get(None, []), 1):
        lines.append(f"trace {number}:")
        walk(root, 1)
    return "\n".join(lines)


def as_json(spans: list[ReadableSpan]) -> str:
    """The spans in OpenTelemetry's own JSON rendering (``ReadableSpan.to_json``)."""
    return "[\n" + ",\n".join(span.to_json(indent=2) for span in spans) + "\n]"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="OpenTelemetry's JSON of each span")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        spans, _ = run(Path(folder) / "store.db")
    spans = shop_spans(spans)
    print(as_json(spans) if args.json else render(spans))
    return 0


if __name__ == "__main__":
    sys.exit(main())
