"""A tiny local HTTP endpoint that plays the merchant's side: it receives callbacks and
serves the ``return_url`` / ``cancel_url`` pages. Standard library only; runs in a thread.

    with CallbackReceiver() as rx:
        invoice.pay_with_redirection(return_url=rx.return_url, cancel_url=rx.cancel_url,
                                     callback_url=rx.callback_url, custom_data={...})
        rx.wait_for(2)      # both deliveries of the settlement callback
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .._callbacks import Callback


@dataclass
class ReceivedCallback:
    """One POST the receiver got: content type, raw body, and its fields decoded."""

    path: str
    content_type: str
    body: str
    fields: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def custom_value(self, key: str) -> Any:
        """``custom_data[key]`` whatever the encoding (flattened form, list-of-records, dict,
        or either one as the stringified JSON of the documented form copy)."""
        flat = self.fields.get(f"custom_data[{key}]")
        if flat is not None:
            return flat
        data = self.fields.get("custom_data")
        if isinstance(data, str) and data.strip()[:1] in ("[", "{"):
            try:
                data = json.loads(data)
            except ValueError:
                return None
        if isinstance(data, dict):
            return data.get(key)
        if isinstance(data, list):
            for record in data:
                if isinstance(record, dict) and record.get("keyof_customdata") == key:
                    return record.get("valueof_customdata")
        return None

    @property
    def callback(self) -> Callback:
        """The body read by the SDK's :func:`~ligdicash.parse_callback`.

        Raises:
            InvalidCallbackError: the body is not a callback.
        """
        from .._callbacks import parse_callback

        return parse_callback(self.body.encode("utf-8"), self.content_type)

    @property
    def order_id(self) -> str:
        """The merchant's reference the callback names (``Callback.order_id``; a payout's
        root ``transaction_id``), ``""`` when the body is not a callback."""
        from .._exceptions import InvalidCallbackError

        try:
            return self.callback.order_id
        except InvalidCallbackError:
            return ""


_PAGES = {
    "/return": "<h1 id=result>Thank you, your payment was received</h1>",
    "/cancel": "<h1 id=result>Payment cancelled</h1>",
}


class CallbackReceiver:
    """Records callbacks POSTed to it and answers 200 (or the statuses in ``fail_with``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        fail_with: Optional[list[int]] = None,
        on_callback: Optional[Callable[[ReceivedCallback], None]] = None,
    ) -> None:
        self.received: list[ReceivedCallback] = []
        self.visits: list[str] = []
        self.fail_with = list(fail_with or [])
        self.on_callback = on_callback
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def callback_url(self) -> str:
        """Where to send callbacks."""
        return self.url + "/callback"

    @property
    def return_url(self) -> str:
        """A page to come back to after paying."""
        return self.url + "/return"

    @property
    def cancel_url(self) -> str:
        """A page to come back to after cancelling."""
        return self.url + "/cancel"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CallbackReceiver:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    # -- waiting -----------------------------------------------------------------------

    def wait_for(
        self,
        n: int,
        timeout: float = 5.0,
        where: Optional[Callable[[ReceivedCallback], bool]] = None,
    ) -> list[ReceivedCallback]:
        """Wait until ``n`` callbacks (matching ``where``) arrived; raises ``TimeoutError``."""

        def matching() -> list[ReceivedCallback]:
            return [c for c in self.received if where is None or where(c)]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= n, timeout=timeout):
                got = len(matching())
                raise TimeoutError(f"{got} of {n} callbacks after {timeout} s")
            return matching()

    # -- HTTP --------------------------------------------------------------------------

    def _record(self, callback: ReceivedCallback) -> int:
        if self.on_callback is not None:
            self.on_callback(callback)
        with self._cond:
            status = self.fail_with.pop(0) if self.fail_with else 200
            if status < 300:
                self.received.append(callback)
                self._cond.notify_all()
        return status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: str, content_type: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                receiver.visits.append(self.path)
                page = _PAGES.get(path)
                if page is None:
                    self._answer(404, "not found", "text/plain")
                else:
                    html = f"<!DOCTYPE html><title>Merchant</title>{page}"
                    self._answer(200, html, "text/html; charset=utf-8")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                content_type = self.headers.get("Content-Type", "")
                fields: dict[str, Any]
                if content_type.startswith("application/json"):
                    try:
                        decoded = json.loads(body)
                    except ValueError:
                        decoded = {}
                    fields = decoded if isinstance(decoded, dict) else {}
                else:
                    fields = dict(parse_qsl(body, keep_blank_values=True))
                path = urlsplit(self.path).path
                status = receiver._record(ReceivedCallback(path, content_type, body, fields))
                self._answer(status, "OK" if status < 300 else "error", "text/plain")

        return Handler
