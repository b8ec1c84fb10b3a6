"""A minimal LigdiCash-speaking HTTP/1.1 server for the benchmarks, run in its own process.

Raw asyncio protocol (no framework) so that it is never the bottleneck: it parses just
enough HTTP/1.1 (keep-alive, Content-Length bodies), answers every status call with a
realistic ``completed`` payload, and delays each answer by ``--latency-ms`` with
``loop.call_later`` (the equivalent of ``await asyncio.sleep`` without a task per request).

    python benchmarks/_server.py --latency-ms 50     # prints "PORT <n>" then serves forever
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

BODY = json.dumps(
    {
        "response_code": "00",
        "token": "",
        "response_text": "",
        "description": "",
        "custom_data": [
            {
                "id_invoice": "15459012",
                "keyof_customdata": "transaction_id",
                "valueof_customdata": "ORD-20240512",
                "datecreation_customdata": "2024-05-12 10:00:00",
            }
        ],
        "wiki": "https://client.ligdicash.com/wiki/confirmInvoice",
        "status": "completed",
        "amount": 31500,
        "montant": "31500.00",
        "operator_id": "2",
        "operator_name": "Orange Money",
        "customer": "22670123456",
        "external_id": "",
        "transaction_id": "MP240512.1000.A12345",
        "request_id": "REQ-1",
        "date": "2024-05-12 10:01:00",
    }
).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
CLOSE_RESPONSE = RESPONSE.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)


class Handler(asyncio.Protocol):
    latency = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            close = b"connection: close" in head
            answer = CLOSE_RESPONSE if close else RESPONSE
            if self.latency:
                self.loop.call_later(self.latency, self._answer, answer, close)
            else:
                self._answer(answer, close)

    def _answer(self, answer: bytes, close: bool) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(answer)
        if close:
            self.transport.close()


async def main(latency_ms: float, port: int) -> None:
    Handler.latency = latency_ms / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.latency_ms, args.port))
    except KeyboardInterrupt:
        sys.exit(0)
    os._exit(0)
