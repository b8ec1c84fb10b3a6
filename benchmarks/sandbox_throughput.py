"""Throughput of the sandbox's status (confirm) endpoint under keep-alive load.

Starts ``ligdicash sandbox`` in a separate process (uvicorn, one worker), seeds one invoice,
then hammers ``GET redirect/checkout-invoice/confirm/?invoiceToken=T`` from N concurrent
keep-alive connections on loopback and prints req/s and latency percentiles. The load
generator is an asyncio raw-socket client in this process; when ``wrk`` is installed
(Debian: ``apt-get install wrk``) it is run too.

    python benchmarks/sandbox_throughput.py [--duration 10] [--connections 50] [--http auto]

httptools/uvloop are used by the server when importable (``--server-path`` adds a
directory to the server's ``PYTHONPATH``, e.g. one filled by ``pip install --target``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Optional
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "sandbox"))
from sandbox_helpers import payin_body

API_KEY = "sandbox_api_key"
AUTH_TOKEN = "sandbox_auth_token"


@dataclass
class Result:
    """One load run's numbers."""

    tool: str
    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    p50: Optional[float] = None
    p99: Optional[float] = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        return (self.p50 if q == 0.5 else self.p99) or float("nan")


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def start_server(http_impl: str, server_path: Optional[str]) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    if server_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [server_path, env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "ligdicash._cli",
        "sandbox",
        "--port",
        "0",
        "--fast",
        "--http",
        http_impl,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    while True:
        line = lines.get(timeout=30)
        if line.strip().startswith("base_url:"):
            return process, line.split(":", 1)[1].strip()


def server_stack(server_path: Optional[str], http_impl: str) -> str:
    code = (
        "import importlib.util as u;"
        "print(','.join(m for m in ('httptools','uvloop') if u.find_spec(m)) or 'none')"
    )
    env = dict(os.environ)
    if server_path:
        env["PYTHONPATH"] = server_path
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    protocol = (
        "httptools"
        if http_impl == "httptools" or (http_impl == "auto" and "httptools" in found)
        else "h11"
    )
    loop = "uvloop" if "uvloop" in found else "asyncio"
    return f"{protocol} + {loop}"


async def _client(host: str, port: int, request: bytes, stop_at: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            match = re.search(rb"(?i)content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(match.group(1)) if match else 0)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not head.startswith(b"HTTP/1.1 200") or b'"response_code": "00"' not in body:
                result.errors += 1
            result.requests += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def _asyncio_load(url: str, connections: int, duration: float) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + ("?" + parts.query if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nApikey: {API_KEY}\r\n"
        f"Authorization: Bearer {AUTH_TOKEN}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    result = Result("asyncio raw sockets", 0, duration)
    started = time.perf_counter()
    stop_at = started + duration
    await asyncio.gather(
        *(_client(host, port, request, stop_at, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - started
    return result


def wrk_load(url: str, connections: int, duration: float) -> Optional[Result]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency",
        "-H", f"Apikey: {API_KEY}", "-H", f"Authorization: Bearer {AUTH_TOKEN}", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if total is None:
        return None
    seconds = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    result = Result("wrk (1 thread)", int(total.group(1)), seconds)

    def latency(label: str) -> Optional[float]:
        found = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", output)
        if found is None:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
        return float(found.group(1)) * scale

    result.p50, result.p99 = latency("50"), latency("99")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result.errors = int(errors.group(1)) if errors else 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    parser.add_argument("--server-path", default=None, help="extra PYTHONPATH for the server")
    parser.add_argument("--no-wrk", action="store_true")
    args = parser.parse_args()

    process, base_url = start_server(args.http, args.server_path)
    try:
        headers = {"Apikey": API_KEY, "Authorization": f"Bearer {AUTH_TOKEN}"}
        created = httpx.post(
            base_url + "redirect/checkout-invoice/create", json=payin_body(), headers=headers
        ).json()
        url = f"{base_url}redirect/checkout-invoice/confirm/?invoiceToken={created['token']}"
        stack = server_stack(args.server_path, args.http)
        print(f"server: uvicorn, 1 worker, {stack}; {args.connections} keep-alive connections")
        results = [asyncio.run(_asyncio_load(url, args.connections, args.duration))]
        if not args.no_wrk:
            extra = wrk_load(url, args.connections, args.duration)
            if extra is not None:
                results.append(extra)
    finally:
        process.terminate()
        process.wait(timeout=20)

    print(f"{'load generator':<22}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}")  # fmt: skip
    for r in results:
        print(
            f"{r.tool:<22}{r.requests:>10}{r.rate:>10.0f}{r.percentile(0.5):>9.2f}"
            f"{r.percentile(0.99):>9.2f}{r.errors:>8}"
        )


if __name__ == "__main__":
    main()
