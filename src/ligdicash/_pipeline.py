"""The request pipeline, written once without I/O: build → send → parse → map errors → retry.

:func:`exchange` is a generator that yields what it needs done (:class:`Send` a request,
:class:`Sleep` before a retry) and receives the outcome (an ``httpx.Response`` or the
exception the send raised). The sync client drives it with ``httpx.Client.send`` and
``time.sleep``; the async client with ``await httpx.AsyncClient.send`` and
``await asyncio.sleep``. Everything else — headers, bodies, retry decisions, error
mapping, logging — is this module, so the two clients cannot drift apart.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import httpx

from ._codes import refusal_error
from ._config import Settings
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    FeatureNotTestableError,
    InvalidResponseError,
    LigdicashError,
    RateLimitError,
    ServerError,
)
from ._models import PaymentResponse, Transaction
from ._operations import RequestSpec
from ._records import RequestRecord, redact_body
from ._version import __version__
from ._wire import normalize_keys, parse_wiki, text

__all__ = ["Send", "Sleep", "Step", "exchange", "make_record"]

logger = logging.getLogger("ligdicash")

USER_AGENT = f"ligdicash-python/{__version__}"
#: Backoff before retry n (0-based): 0.5 s, 1 s, 2 s, ... capped, minus up to 25 % jitter.
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: A Retry-After longer than this is not waited for: the error is raised with it instead.
MAX_RETRY_AFTER = 60.0
_EXCERPT = 200


@dataclass(frozen=True)
class Send:
    """Step: send this request and resume with the response or the exception raised."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Step: wait this many seconds, then resume with ``None``."""

    seconds: float


Step = Union[Send, Sleep]
Outcome = Union[httpx.Response, BaseException, None]
Result = Union[PaymentResponse, Transaction]


def make_record(settings: Settings, spec: RequestSpec) -> RequestRecord:
    """The record of what ``spec`` sends (URL without credentials, OTP redacted)."""
    url = httpx.URL(settings.base_url + spec.operation.path, params=spec.params or None)
    return RequestRecord(
        operation=spec.operation.name,
        method=spec.operation.method,
        url=str(url),
        body=redact_body(spec.body),
    )


def build_request(settings: Settings, spec: RequestSpec) -> httpx.Request:
    """The exact HTTP request for ``spec``: the same bytes whichever client sends it."""
    headers = {
        "Apikey": settings.api_key,
        "Authorization": f"Bearer {settings.auth_token}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    content: Optional[bytes] = None
    if spec.body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(spec.body, separators=(",", ":"), ensure_ascii=False).encode()
    request = httpx.Request(
        spec.operation.method,
        settings.base_url + spec.operation.path,
        params=spec.params or None,
        headers=headers,
        content=content,
    )
    # The timeout travels with the request, so a user-supplied http_client cannot drop it.
    request.extensions["timeout"] = settings.timeout.as_dict()
    return request


def exchange(
    settings: Settings,
    spec: RequestSpec,
    record: RequestRecord,
    *,
    on_request: Optional[Callable[[RequestRecord], Any]] = None,
    jitter: Callable[[], float] = random.random,
) -> Generator[Step, Outcome, Result]:
    """Run one operation as a sequence of steps; return the parsed model or raise.

    Raises:
        LigdicashError: a subclass for every failure (refusal, HTTP status, network,
            invalid body); never an httpx or json exception.
    """
    check_testable(settings, spec)
    if on_request is not None:
        # Called before the first byte leaves, so the integrator's own record exists even
        # if this process dies mid-request.
        on_request(record)
    attempts = settings.max_retries + 1
    attempt = 0
    while True:
        request = build_request(settings, spec)
        started = time.perf_counter()
        outcome = yield Send(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if isinstance(outcome, httpx.Response):
            logger.debug(
                "%s %s -> %s (%.1f ms, attempt %d/%d)",
                spec.operation.method,
                spec.operation.path,
                outcome.status_code,
                elapsed_ms,
                attempt + 1,
                attempts,
            )
            delay = _retry_delay_for_response(spec, attempt, settings.max_retries, outcome, jitter)
            if delay is None:
                return parse_response(settings, spec, outcome, record)
        else:
            error = map_transport_error(outcome, spec, record)
            logger.debug(
                "%s %s -> %s (%.1f ms, attempt %d/%d)",
                spec.operation.method,
                spec.operation.path,
                type(outcome).__name__,
                elapsed_ms,
                attempt + 1,
                attempts,
            )
            delay = _retry_delay_for_error(spec, attempt, settings.max_retries, error, jitter)
            if delay is None:
                raise error from outcome if isinstance(outcome, BaseException) else None
        yield Sleep(delay)
        attempt += 1


#: The provider documents these as unavailable on its own test platform.
_NOT_TESTABLE = ("direct_payin", "client_payout", "merchant_payout")


def check_testable(settings: Settings, spec: RequestSpec) -> None:
    """Raise :class:`FeatureNotTestableError` for flows the provider's test host lacks.

    Only the provider's own test host: a ``base_url`` override (the sandbox) runs them all.
    """
    if settings.is_provider_test_host and spec.operation.name in _NOT_TESTABLE:
        raise FeatureNotTestableError(
            f"{spec.operation.name} cannot run on LigdiCash's test platform; use the local "
            "sandbox (ligdicash sandbox) or the live platform",
            operation=spec.operation.name,
        )


def backoff(attempt: int, jitter: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based), with jitter."""
    base = min(MAX_BACKOFF, INITIAL_BACKOFF * (2**attempt))
    return float(base * (1 - 0.25 * jitter()))


def parse_retry_after(headers: httpx.Headers) -> Optional[float]:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if any."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _retry_delay_for_response(
    spec: RequestSpec,
    attempt: int,
    max_retries: int,
    response: httpx.Response,
    jitter: Callable[[], float],
) -> Optional[float]:
    # A creation that got any HTTP answer reached the server: never resend it.
    if attempt >= max_retries or not spec.operation.idempotent:
        return None
    status = response.status_code
    if status != 429 and status < 500:
        return None
    retry_after = parse_retry_after(response.headers)
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_AFTER else None
    return backoff(attempt, jitter)


def _retry_delay_for_error(
    spec: RequestSpec,
    attempt: int,
    max_retries: int,
    error: LigdicashError,
    jitter: Callable[[], float],
) -> Optional[float]:
    if attempt >= max_retries or not isinstance(error, APIConnectionError):
        return None
    if spec.operation.idempotent or not error.request_may_have_been_sent:
        return backoff(attempt, jitter)
    return None


# httpx errors raised before any byte of the request was written.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_NEVER_SENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)


def map_transport_error(exc: Outcome, spec: RequestSpec, record: RequestRecord) -> LigdicashError:
    """Translate whatever the send raised into a :class:`LigdicashError` subclass."""
    operation = spec.operation.name
    kwargs: dict[str, Any] = {"operation": operation, "request_record": record}
    if isinstance(exc, httpx.DecodingError):
        return InvalidResponseError(
            "the answer could not be decoded (corrupt compressed body)", **kwargs
        )
    if isinstance(exc, _NEVER_SENT):
        return APIConnectionError(f"the request could not be built: {exc}", **kwargs)
    sent = not isinstance(exc, _NOT_SENT)
    where = f"{spec.operation.method} {spec.operation.path}"
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.PoolTimeout: "waiting for a free connection to",
            httpx.WriteTimeout: "sending the request to",
        }.get(type(exc), "waiting for the answer from")
        message = f"timed out {phase} LigdiCash ({where})"
        cls: type[APIConnectionError] = APITimeoutError
    elif isinstance(exc, httpx.ConnectError):
        message = f"could not connect to LigdiCash ({where}): {exc or 'connection refused'}"
        cls = APIConnectionError
    else:
        detail = (str(exc) or type(exc).__name__).rstrip(".")
        message = f"the connection failed during {where}: {detail}"
        cls = APIConnectionError
    if sent and not spec.operation.idempotent:
        message += (
            ". The request may have reached LigdiCash and money may be moving: do not send "
            "it again. Look the transaction up first (dashboard, callback, or "
            f"custom_data {record.custom_data!r}) before retrying."
        )
    return cls(message, request_may_have_been_sent=sent, **kwargs)


def _excerpt(response: httpx.Response) -> str:
    return response.content[:_EXCERPT].decode("utf-8", "replace")


def parse_response(
    settings: Settings, spec: RequestSpec, response: httpx.Response, record: RequestRecord
) -> Result:
    """Read a final HTTP answer into the operation's model, or raise the matching error."""
    kwargs: dict[str, Any] = {"operation": spec.operation.name, "request_record": record}
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
    if not 200 <= status < 300:
        kind = "an HTML page (a proxy or gateway error)" if looks_html else "an error"
        retry_after = parse_retry_after(response.headers)
        message = f"LigdiCash answered HTTP {status} with {kind}"
        status_cls: type[APIStatusError] = APIStatusError
        if status == 429:
            status_cls = RateLimitError
            message += "; slow down (check a transaction's status at most every ~3 s)"
        elif status >= 500:
            status_cls = ServerError
        raise status_cls(
            message,
            http_status=status,
            body_excerpt=_excerpt(response),
            retry_after=retry_after,
            **kwargs,
        )
    try:
        payload = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        what = "an HTML page" if looks_html else "a body that is not valid JSON (or truncated)"
        raise InvalidResponseError(
            f"LigdiCash answered HTTP {status} with {what}",
            body_excerpt=_excerpt(response),
            **kwargs,
        ) from None
    if not isinstance(payload, dict):
        raise InvalidResponseError(
            f"LigdiCash answered a JSON {type(payload).__name__}, not an object",
            body_excerpt=_excerpt(response),
            **kwargs,
        )
    data = normalize_keys(payload)
    code = text(data.get("response_code")).strip()
    if code == "00" or (not code and spec.parse_as == "transaction" and "status" in data):
        if spec.parse_as == "transaction":
            return Transaction.from_wire(payload)
        return PaymentResponse.from_wire(payload)
    if not code:
        raise InvalidResponseError(
            "LigdiCash answered a JSON object without response_code",
            body_excerpt=_excerpt(response),
            **kwargs,
        )
    error = refusal_error(
        data,
        family=spec.operation.family,
        platform="test" if settings.platform == "test" else "live",
        operation=spec.operation.name,
        http_status=status,
        wiki=parse_wiki(data.get("wiki")),
    )
    error.request_record = record
    raise error
