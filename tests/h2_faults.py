"""A real HTTP/2 server on loopback that answers with a malformed frame *after* reading the
whole request: what a broken server or proxy does once the payment has been processed.

Cleartext HTTP/2 with prior knowledge (``httpx.Client(http1=False, http2=True)``): the
same httpcore ``HTTP2Connection`` as over TLS, without certificates. Each request pops the
next action of the script: a fault name from :data:`FAULTS`, or ``"ok"`` (a JSON answer);
an empty script answers ``"ok"``. ``server.requests`` records ``(method, path)`` in order.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from collections import deque
from typing import Any, Callable, Optional

import h2.config
import h2.connection
import h2.events

PREFIX = "/pay/v01/"


def _frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """One raw HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload."""
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream_id)
        + payload
    )


DATA, SETTINGS, PING, WINDOW_UPDATE = 0x0, 0x4, 0x6, 0x8
END_STREAM, PADDED = 0x1, 0x8

#: Six malformed frames, each sent on its own after the request was fully read.
FAULTS: dict[str, Callable[[int], bytes]] = {
    # DATA is never allowed on stream 0 (the connection itself).
    "data_on_stream_0": lambda sid: _frame(DATA, END_STREAM, 0, b"{}"),
    # DATA on a stream the client never opened.
    "data_on_unopened_stream": lambda sid: _frame(DATA, END_STREAM, sid + 100, b"{}"),
    # A pad length larger than the frame's payload.
    "bad_padding": lambda sid: _frame(DATA, PADDED | END_STREAM, sid, bytes([200]) + b"{}"),
    # A PING's payload is exactly 8 bytes. (A HEADERS with a bad pseudo-header is not
    # on this list: httpcore turns h2's inbound header validation off.)
    "ping_wrong_length": lambda sid: _frame(PING, 0, 0, b"1234"),
    # SETTINGS_ENABLE_PUSH (0x2) may only be 0 or 1.
    "invalid_settings_value": lambda sid: _frame(SETTINGS, 0, 0, struct.pack(">HI", 0x2, 7)),
    # A WINDOW_UPDATE must grow the window: an increment of 0 is a protocol error.
    "window_update_zero": lambda sid: _frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)),
}


class H2FaultServer:
    """Start with ``with H2FaultServer() as server:``; ``server.base_url`` is the API root."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def script(self, *actions: str) -> None:
        """The actions for the next requests, in order (then ``"ok"``)."""
        with self._lock:
            self._script.clear()
            self._script.extend(actions)
            self.requests.clear()

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for m, _ in self.requests if m == method)

    def __enter__(self) -> H2FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_action(self, method: str, path: str) -> str:
        with self._lock:
            self.requests.append((method, path))
            return self._script.popleft() if self._script else "ok"

    def _serve(self, sock: socket.socket) -> None:
        conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        heads: dict[int, dict[str, str]] = {}
        bodies: dict[int, bytes] = {}
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        heads[event.stream_id] = {str(k): str(v) for k, v in event.headers}
                        bodies[event.stream_id] = b""
                    elif isinstance(event, h2.events.DataReceived):
                        bodies[event.stream_id] += event.data
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        sid = event.stream_id
                        head = heads[sid]
                        action = self._next_action(head[":method"], head[":path"])
                        sock.sendall(conn.data_to_send())
                        if action != "ok":
                            sock.sendall(FAULTS[action](sid))
                            # Let the client read the bad frame before the socket closes.
                            _drain(sock)
                            return
                        self._answer(conn, sid, head)
                sock.sendall(conn.data_to_send())
        except OSError:
            return
        finally:
            sock.close()

    @staticmethod
    def _answer(conn: h2.connection.H2Connection, sid: int, head: dict[str, str]) -> None:
        body: dict[str, Any]
        if head[":method"] == "GET":
            body = {"response_code": "00", "status": "completed", "token": "tok", "amount": 500}
        else:
            body = {"response_code": "00", "token": "tok-created", "response_text": "http://pay"}
        data = json.dumps(body).encode()
        conn.send_headers(
            sid,
            [
                (":status", "200"),
                ("content-type", "application/json"),
                ("content-length", str(len(data))),
            ],
        )
        conn.send_data(sid, data, end_stream=True)


def _drain(sock: socket.socket, limit: Optional[float] = 5.0) -> None:
    """Read until the client closes (or ``limit`` seconds of silence)."""
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
