"""What the OpenTelemetry tests read back: spans and metric points exported in memory, and
the scan of everything exported for the secrets and personal data a test used."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class Telemetry:
    """What one test exported, and the values that must never appear in it."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.secrets: set[str] = set()
        self._metrics: list[tuple[str, dict[str, Any], Any]] = []

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        found = list(self.exporter.get_finished_spans())
        return [s for s in found if name is None or s.name == name]

    def span(self, name: str) -> ReadableSpan:
        found = self.spans(name)
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def metrics(self) -> list[tuple[str, dict[str, Any], Any]]:
        """Each data point as (metric name, attributes, point), collected now."""
        data = self.reader.get_metrics_data()
        points: list[tuple[str, dict[str, Any], Any]] = []
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        points.append((metric.name, dict(point.attributes or {}), point))
        self._metrics.extend(points)
        return points

    def total(self, name: str, **attributes: Any) -> float:
        """The sum of a counter's points (or a histogram's counts) matching ``attributes``."""
        total = 0.0
        for metric, attrs, point in self.metrics():
            if metric == name and all(attrs.get(k) == v for k, v in attributes.items()):
                total += getattr(point, "value", None) or getattr(point, "count", 0)
        return total

    def exported_text(self) -> list[str]:
        """Every string a backend would receive: span names, attribute keys and values,
        event names and attributes, status descriptions, metric attributes."""
        texts: list[str] = []

        def add(attributes: Any) -> None:
            for key, value in dict(attributes or {}).items():
                texts.append(str(key))
                texts.append(str(value))

        for span in self.spans():
            texts.append(span.name)
            add(span.attributes)
            texts.append(span.status.description or "")
            for event in span.events:
                texts.append(event.name)
                add(event.attributes)
            for link in span.links:
                add(link.attributes)
        for _, attrs, _ in self._metrics:
            add(attrs)
        return texts

    def assert_no_secrets(self) -> None:
        secrets = {s for s in self.secrets if s}
        assert secrets, "the test registered no secret to look for"
        leaks = [(s, t) for t in self.exported_text() for s in secrets if s in t]
        assert leaks == []
