"""Evidence of what one attempt wrote to the network, from httpcore's ``trace`` extension.

Whether a payment may have reached LigdiCash is a fact about bytes written, not about which
exception class came back: an HTTP/2 frame error after the server processed the request
surfaces as ``httpx.LocalProtocolError``, the same class as a request that could not be
written at all. httpcore reports each step of a request to the ``trace`` callable of the
request's extensions (``connection.connect_tcp.started``,
``http11.send_request_headers.started``, ``http2.send_request_body.started``, ...), for
HTTP/1.1, HTTP/2 and proxies alike. :class:`SendEvidence` records them for one attempt:

- a ``send_request_*`` event: the request started to leave, it may have been sent;
- other events only (connecting, TLS, HTTP/2 connection preface): nothing of the request
  was written, so a creation may be retried;
- no event at all (a custom transport, a mock, an error before the transport): unknown,
  so it may have been sent.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SendEvidence"]


class SendEvidence:
    """What httpcore reported for one attempt; the constructor installs the callback.

    Cheap on purpose: once a ``send_request_*`` event is seen nothing can change the
    verdict, so the callback removes itself and httpcore stops calling it.
    """

    __slots__ = ("_extensions", "reached_transport", "request_started")

    def __init__(self, extensions: dict[str, Any], *, asynchronous: bool) -> None:
        self._extensions = extensions
        #: httpcore reported at least one step (connection, TLS, request ...).
        self.reached_transport = False
        #: httpcore started writing the request's headers or body.
        self.request_started = False
        # httpcore awaits the callback on the async path and refuses a coroutine on the
        # sync one, so each path gets its own flavour.
        extensions["trace"] = self.atrace if asynchronous else self.trace

    @property
    def may_have_been_sent(self) -> bool:
        """True unless the evidence shows that no byte of the request was written."""
        return self.request_started or not self.reached_transport

    def trace(self, name: str, info: Any) -> None:
        """The synchronous ``trace`` callback: record one httpcore event."""
        self.reached_transport = True
        if "send_request" in name:
            self.request_started = True
            self._extensions.pop("trace", None)

    async def atrace(self, name: str, info: Any) -> None:
        """The asynchronous ``trace`` callback (httpcore awaits it)."""
        self.trace(name, info)
