"""The request pipeline, written once without I/O: build → send → parse → map errors → retry.

:func:`exchange` is a generator that yields what it needs done (:class:`Send` a request,
:class:`Sleep` before a retry) and receives the outcome: the ``httpx.Response`` is sent in,
the exception the send raised is thrown in (``ligdicash._drive``'s convention). The sync
client drives it with ``httpx.Client.send`` and ``time.sleep``; the async client with
``await httpx.AsyncClient.send`` and ``await asyncio.sleep``. Everything else — headers,
bodies, retry decisions, logging — is this module (answers and failures are read into
models and errors by ``_outcomes``), so the two clients cannot drift apart.

Retries of creations and payouts are decided from evidence (:mod:`ligdicash._evidence`):
resent only when httpcore reported that no byte of the request was written.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Generator
from typing import Any, Callable, Optional, Union
from urllib.parse import urlencode

import httpx

from ._config import Settings
from ._evidence import SendEvidence
from ._exceptions import (
    APIConnectionError,
    FeatureNotTestableError,
    InvalidRequestError,
    InvalidResponseError,
    LigdicashError,
)
from ._operations import RequestSpec, ResultT
from ._outcomes import map_transport_error, parse_response, parse_retry_after
from ._records import RequestRecord, redact_body

__all__ = ["Send", "Sleep", "Step", "build_request", "exchange"]

logger = logging.getLogger("ligdicash")

#: Backoff before retry n (0-based): 0.5 s, 1 s, 2 s, ... capped, minus up to 25 % jitter.
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: A Retry-After longer than this is not waited for: the error is raised with it instead.
MAX_RETRY_AFTER = 60.0
_EXCERPT = 200


class Send:
    """Step: send this request and resume with the response (or have the error thrown in)."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Sleep:
    """Step: wait this many seconds, then resume with ``None``."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Sleep({self.seconds!r})"


Step = Union[Send, Sleep]


def build_request(settings: Settings, spec: RequestSpec[Any]) -> httpx.Request:
    """The exact HTTP request for ``spec``: the same bytes whichever client sends it.

    Raises:
        InvalidRequestError: the URL or body cannot be encoded (a 2 MB token, a lone
            surrogate such as ``"\\ud800"``, a credential that is not ASCII); the message
            never repeats the value.
    """
    operation = spec.operation
    try:
        if spec.params:
            # One parse of the final URL (httpx's ``params=`` parses it twice);
            # ``urlencode`` is what httpx's ``QueryParams`` renders too.
            url = httpx.URL(f"{settings.base_url}{operation.path}?{urlencode(spec.params)}")
        else:
            url = _endpoint_url(settings.base_url, operation.path)
        content: Optional[bytes] = None
        if spec.body is not None:
            content = json.dumps(spec.body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = settings.headers if content is None else settings.json_headers
        request = httpx.Request(operation.method, url, headers=headers, content=content)
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError, RecursionError) as exc:
        reason = _unbuildable(exc)
    else:
        # The timeout travels with the request, so a user-supplied http_client cannot drop it.
        request.extensions["timeout"] = settings.timeout.as_dict()
        return request
    # Raised outside the handler: no exception chain, whose text or frames (the headers
    # being built) may hold a credential or the value itself.
    raise InvalidRequestError(
        f"the {operation.name} request could not be built: {reason}; nothing was sent",
        operation=operation.name,
    )


# Per-request work that does not change between requests, parsed once. (httpx.URL is
# copied by httpx.Request, never changed in place.) The headers, which hold the credentials,
# are built once per client on its ``Settings``, not cached here.
@functools.lru_cache(maxsize=64)
def _endpoint_url(base_url: str, path: str) -> httpx.URL:
    return httpx.URL(base_url + path)


def _unbuildable(exc: BaseException) -> str:
    if isinstance(exc, httpx.InvalidURL):
        return "the URL is invalid or too long (check the token)"
    if isinstance(exc, UnicodeError):
        return "a value holds a character that cannot be encoded (e.g. a lone surrogate)"
    if isinstance(exc, RecursionError):
        return "the body is nested too deeply"
    return "a value cannot be encoded as JSON"


def exchange(
    settings: Settings,
    spec: RequestSpec[ResultT],
    *,
    on_request: Optional[Callable[[RequestRecord], Any]] = None,
    asynchronous: bool = False,
    jitter: Callable[[], float] = random.random,
) -> Generator[Step, Optional[httpx.Response], ResultT]:
    """Run one operation as a sequence of steps; return the parsed model or raise.

    Drive it with :func:`ligdicash._drive.drive` / ``adrive``: the response is sent in,
    an exception the send raised is thrown in at the ``yield``. ``asynchronous`` selects
    the flavour of the trace callback that records what each attempt wrote.

    Raises:
        LigdicashError: a subclass for every failure (refusal, HTTP status, network,
            invalid body); never an httpx or json exception.
    """
    check_testable(settings, spec)
    operation = spec.operation
    request = build_request(settings, spec)
    record = RequestRecord(
        operation=operation.name,
        method=operation.method,
        url=str(request.url),
        body=redact_body(spec.body),
    )
    if on_request is not None:
        # Called before the first byte leaves, so the integrator's own record exists even
        # if this process dies mid-request.
        on_request(record)
    max_retries = settings.max_retries
    attempt = 0
    while True:
        evidence = SendEvidence(request.extensions, asynchronous=asynchronous)
        started = time.perf_counter()
        try:
            response = yield Send(request)
        except Exception as exc:  # what the send raised, thrown in by the driver
            _log_attempt(spec, type(exc).__name__, started, attempt, max_retries)
            error = map_transport_error(exc, spec, record, evidence.may_have_been_sent)
            delay = _retry_delay_for_error(spec, attempt, max_retries, error, jitter)
            if delay is None:
                raise error from exc
        else:
            assert response is not None
            _log_attempt(spec, response.status_code, started, attempt, max_retries)
            delay = _retry_delay_for_response(spec, attempt, max_retries, response, jitter)
            if delay is None:
                try:
                    return parse_response(settings, spec, response, record)
                except InvalidResponseError:
                    # A maintenance page or a cut body on a status read: read it again.
                    if not operation.idempotent or attempt >= max_retries:
                        raise
                delay = backoff(attempt, jitter)
        yield Sleep(delay)
        attempt += 1


def _log_attempt(
    spec: RequestSpec[Any], outcome: object, started: float, attempt: int, max_retries: int
) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s (%.1f ms, attempt %d/%d)",
            spec.operation.method,
            spec.operation.path,
            outcome,
            (time.perf_counter() - started) * 1000,
            attempt + 1,
            max_retries + 1,
        )


#: The provider documents these as unavailable on its own test platform.
_NOT_TESTABLE = ("direct_payin", "client_payout", "merchant_payout")


def check_testable(settings: Settings, spec: RequestSpec[Any]) -> None:
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


def _retry_delay_for_response(
    spec: RequestSpec[Any],
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
    spec: RequestSpec[Any],
    attempt: int,
    max_retries: int,
    error: LigdicashError,
    jitter: Callable[[], float],
) -> Optional[float]:
    if attempt >= max_retries:
        return None
    if spec.operation.idempotent:
        transient = isinstance(error, (APIConnectionError, InvalidResponseError))
        return backoff(attempt, jitter) if transient else None
    # A creation or payout: only when the evidence shows that nothing of it left.
    if isinstance(error, APIConnectionError) and not error.request_may_have_been_sent:
        return backoff(attempt, jitter)
    return None
