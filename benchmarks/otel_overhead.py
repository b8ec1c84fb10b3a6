"""What ``ligdicash.contrib.otel`` adds to an API call: status checks with it off and on.

    .venv/bin/python benchmarks/otel_overhead.py            # 9 rounds x 500 calls, ~30 s

Sequential ``Client.get_transaction`` calls against ``_server.py`` (no latency), in one
process, the variants interleaved round by round (so the shared machine's load hits all
alike): the integration off (the core's one global read per call), on with OpenTelemetry's
default no-op providers (the API alone, as in an app that installed the extra but no SDK),
and on with the SDK recording everything (a span per call into an in-memory exporter through
a ``SimpleSpanProcessor``, the counters and histogram into an in-memory reader). Medians per
call, wall and CPU (``time.process_time``, which other processes' load barely moves).

A second table times the observer alone, steadier than HTTP on a loaded machine: a one-step
exchange (one response handed back, no I/O) driven through the core's ``watch_call`` seam,
20,000 times per variant, CPU time per call.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Generator
from typing import Callable

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from run import Server  # this directory is sys.path[0]

import ligdicash
from ligdicash import _observe
from ligdicash._drive import drive
from ligdicash._operations import STATUS_OPERATIONS
from ligdicash.contrib.otel import LigdicashInstrumentor

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.bench"


def variants() -> dict[str, Callable[[], None]]:
    """Each variant's switch: called before its round."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrumentor = LigdicashInstrumentor()

    def off() -> None:
        instrumentor.uninstrument()

    def noop() -> None:
        # OpenTelemetry's global providers, never set: its no-op (proxy) tracer and meter.
        instrumentor.instrument()

    def sdk() -> None:
        exporter.clear()
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    return {"off": off, "on, no-op providers (API only)": noop, "on, SDK recording": sdk}


def seam_alone(switches: dict[str, Callable[[], None]], calls: int = 20_000) -> None:
    """Print the CPU time per call of a one-step exchange through ``watch_call``."""
    operation = STATUS_OPERATIONS["payin"]
    response = httpx.Response(200)

    def exchange() -> Generator[int, httpx.Response, httpx.Response]:
        answer = yield 1
        return answer

    def one() -> None:
        drive(
            _observe.watch_call(exchange(), operation=operation, platform="live"),
            lambda step: response,
        )

    print(f"\nthe observer alone: a one-step exchange, {calls:,} calls, CPU per call")
    print(f"{'variant':<34} {'CPU us':>9}")
    for name, switch in switches.items():
        switch()
        for _ in range(1000):
            one()
        c = time.process_time()
        for _ in range(calls):
            one()
        print(f"{name:<34} {(time.process_time() - c) / calls * 1e6:>9.1f}")
    LigdicashInstrumentor().uninstrument()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    switches = variants()
    wall: dict[str, list[float]] = {name: [] for name in switches}
    cpu: dict[str, list[float]] = {name: [] for name in switches}
    with (
        Server(0) as server,
        ligdicash.Client(
            api_key="bench-key",
            auth_token="bench-token",
            base_url=f"http://127.0.0.1:{server.port}/pay/v01/",
        ) as client,
    ):
        for _ in range(50):  # warm-up: connection, imports, caches
            client.get_transaction(TOKEN)
        for _ in range(args.rounds):
            for name, switch in switches.items():
                switch()
                w, c = time.perf_counter(), time.process_time()
                for _ in range(args.calls):
                    client.get_transaction(TOKEN)
                wall[name].append((time.perf_counter() - w) / args.calls * 1e6)
                cpu[name].append((time.process_time() - c) / args.calls * 1e6)
        LigdicashInstrumentor().uninstrument()
    base_wall = statistics.median(wall["off"])
    base_cpu = statistics.median(cpu["off"])
    print(f"{args.rounds} rounds x {args.calls} sequential status checks, medians per call")
    print(f"{'variant':<34} {'wall us':>9} {'CPU us':>9} {'+CPU us':>9} {'CPU x':>7}")
    for name in switches:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<34} {w:>9.0f} {c:>9.0f} {c - base_cpu:>+9.0f} {c / base_cpu:>7.2f}")
    print(f"(wall of 'off': {base_wall:.0f} us per call)")
    seam_alone(switches)


if __name__ == "__main__":
    main()
