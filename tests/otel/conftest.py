"""OpenTelemetry's own SDK pieces: an in-memory span exporter and metric reader, the SDK's
instrumentor installed on them for one test and removed after; every exported span (and
metric point) is scanned for the secrets and personal data the test used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the [otel] tests need opentelemetry-sdk")

from otel_telemetry import Telemetry

from ligdicash.contrib.otel import LigdicashInstrumentor


@pytest.fixture
def telemetry(ligdicash_sandbox: Any) -> Iterator[Telemetry]:
    """The instrumentor on in-memory providers; at the end, no secret was exported."""
    recorded = Telemetry()
    recorded.secrets.update({ligdicash_sandbox.api_key, ligdicash_sandbox.auth_token})
    instrumentor = LigdicashInstrumentor()
    instrumentor.instrument(
        tracer_provider=recorded.tracer_provider, meter_provider=recorded.meter_provider
    )
    try:
        yield recorded
    finally:
        instrumentor.uninstrument()
    recorded.metrics()
    recorded.assert_no_secrets()
