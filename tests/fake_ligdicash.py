"""A small real HTTP server on loopback that speaks the LigdiCash wire contract.

It answers every endpoint like the real API by default, records every request it receives,
and can be scripted per test with exact answers: any JSON body (to produce every refusal code
of every table), raw bytes with any status (HTML 502, truncated JSON), a delay (timeouts),
or a dropped connection (no byte of response). The sandbox covers the whole lifecycle; this
server covers what a test must control byte for byte.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

API_KEY = "test_api_key_5f3a"
AUTH_TOKEN = "test_auth_token_9c1e"
PREFIX = "/pay/v01/"
LONG_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9." + "eyJpZF9pbnZvaWNlIjoi" * 20 + ".sig"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Scripted:
    """One scripted answer. ``drop`` closes the socket without a byte of response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


def refusal(code: str, details: str = "", **extra: Any) -> dict[str, Any]:
    body = {
        "response_code": "01",
        "token": "",
        "response_text": f"Echec (Code{code})",
        "description": "",
        "custom_data": [],
        "wiki": "https://client.ligdicash.com/wiki/createInvoice",
    }
    if details:
        body["response_text_details"] = details
    body.update(extra)
    return body


def status_body(token: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_code": "00",
        "token": token,
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
        "status": status,
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
    body.update(extra)
    return body


class FakeLigdicash:
    """Start with ``with FakeLigdicash() as server:``; ``server.base_url`` is the API root."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._connections = 0  # handler threads still serving a connection
        self.api_key = API_KEY
        self.auth_token = AUTH_TOKEN
        handler = self._make_handler()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def __enter__(self) -> FakeLigdicash:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- scripting -------------------------------------------------------------------------
    def push_json(self, body: Any, status: int = 200, delay: float = 0.0, **headers: str) -> None:
        self.push(
            Scripted(status=status, body=json.dumps(body).encode(), headers=headers, delay=delay)
        )

    def push(self, answer: Scripted) -> None:
        with self._lock:
            self._script.append(answer)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        """The requests received, once there are at least ``count`` (a client that timed out
        may raise before the server's thread has recorded what it read)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} requests received, waited for {count}")
            return list(self.requests)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once every connection's handler has finished and dropped the last request
        it read: a keep-alive handler keeps the headers it parsed until the client hangs up."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self._connections == 0, timeout):
                raise AssertionError(f"{self._connections} connections still served")

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    # -- default behaviour -----------------------------------------------------------------
    def default_answer(self, rec: Recorded) -> dict[str, Any]:
        if (
            rec.headers.get("apikey") != self.api_key
            or rec.headers.get("authorization") != f"Bearer {self.auth_token}"
        ):
            return refusal("00", "Invalid API key or token")
        path = rec.path[len(PREFIX) :]
        if rec.method == "GET":
            token = next(iter(rec.query.values()), [""])[0]
            return status_body(token)
        command = rec.json.get("commande", {})
        if path.endswith("checkout-invoice/create"):
            invoice = command["invoice"]
            if any("unit_price" not in item for item in invoice["items"]):
                return refusal("04", 'Undefined array key "unit_price"')
            url = f"http://127.0.0.1:{self.port}/pay/invoice/{LONG_TOKEN}"
            return {
                "response_code": "00",
                "token": LONG_TOKEN,
                "response_text": url if path.startswith("redirect") else "",
                "description": "",
                "custom_data": [
                    {"keyof_customdata": k, "valueof_customdata": v}
                    for k, v in command.get("custom_data", {}).items()
                ],
                "wiki": "https://client.ligdicash.com/wiki/createInvoice",
            }
        return {
            "response_code": "00",
            "token": LONG_TOKEN,
            "response_text": "",
            "description": "",
            "custom_data": command.get("custom_data", {}),
            "wiki": "https://client.ligdicash.com/wiki/payout",
        }

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 65536  # one write per answer: avoids a 40 ms Nagle + delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                with server._lock:
                    server._connections += 1
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    # The parsed headers of the connection's last request (credentials
                    # included) would otherwise live until this object is collected.
                    self.headers = None  # type: ignore[assignment]
                    with server._lock:
                        server._connections -= 1
                        server._arrived.notify_all()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with server._lock:
                    server.requests.append(rec)
                    server._arrived.notify_all()
                    answer: Optional[Scripted] = (
                        server._script.popleft() if server._script else None
                    )
                if answer is None:
                    answer = Scripted(body=json.dumps(server.default_answer(rec)).encode())
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for key, value in headers.items():
                    self.send_header(key.replace("_", "-"), value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = _handle
            do_POST = _handle

        return Handler
