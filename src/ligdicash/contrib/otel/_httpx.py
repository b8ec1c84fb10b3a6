"""Hooks for OpenTelemetry's httpx instrumentation that keep LigdiCash's URLs clean.

The httpx instrumentation records each request's full URL on its span. LigdiCash's status
URLs carry the creation token (``?invoiceToken=...``, the only key to a payment's status)
and the LigdiCash Wallet OTP URL carries the customer's phone number
(``.../debitotp/22670123456/1000``). Pass these hooks to the instrumentation and the URL
is recorded with the token replaced and the number masked::

    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from ligdicash.contrib.otel import httpx_hooks

    HTTPXClientInstrumentor().instrument(**httpx_hooks())
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..._wire import mask_phone

__all__ = ["httpx_hooks", "redact_url"]

#: ``invoiceToken=...``, ``withdrawalToken=...``, ``payoutToken=...`` in a URL's query.
_TOKEN_PARAM = re.compile(r"((?:invoice|withdrawal|payout)Token=)([^&\s#]+)")
#: The LigdiCash Wallet OTP route: ``debitotp/{phone}/{amount}``.
_OTP_PHONE = re.compile(r"(/debitotp/)([^/?#]+)")
#: The URL attributes of the old and the stable HTTP semantic conventions.
_URL_ATTRIBUTES = ("http.url", "url.full")


def redact_url(url: str) -> str:
    """``url`` with LigdiCash's status tokens replaced and a Wallet OTP number masked."""
    url = _TOKEN_PARAM.sub(r"\1[redacted]", url)
    return _OTP_PHONE.sub(lambda m: m.group(1) + mask_phone(m.group(2)), url)


def _redact_span(span: Any, request: Any) -> None:
    if not span.is_recording():
        return
    url = str(getattr(request, "url", ""))
    clean = redact_url(url)
    if clean == url:
        return
    recorded = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        if name in recorded:
            span.set_attribute(name, clean)


def request_hook(span: Any, request: Any) -> None:
    """The httpx instrumentation's ``request_hook``: redact the recorded URL."""
    _redact_span(span, request)


async def async_request_hook(span: Any, request: Any) -> None:
    """The httpx instrumentation's ``async_request_hook``: redact the recorded URL."""
    _redact_span(span, request)


def httpx_hooks() -> dict[str, Callable[..., Any]]:
    """The keyword arguments for ``HTTPXClientInstrumentor().instrument(...)`` (and
    ``instrument_client``) that redact LigdiCash's URLs on the httpx spans."""
    return {"request_hook": request_hook, "async_request_hook": async_request_hook}
