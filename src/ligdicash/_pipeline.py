"""The request pipeline, written once without I/O: build → send → parse → map errors → retry.

:func:`exchange` is a generator of ``ligdicash._drive``'s effects: a :class:`Call` of the
client's ``send`` with the request, a :class:`Sleep` before a retry. The ``httpx.Response``
is sent in, the exception the send raised is thrown in. The sync client passes
``httpx.Client.send`` and drives it with ``drive``; the async client passes
``httpx.AsyncClient.send`` (awaited) and drives it with ``adrive``. Everything else — headers,
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
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import httpx

from ._config import Settings
from ._drive import Call, Effect, Sleep
from ._evidence import SendEvidence
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    FeatureNotTestableError,
    InvalidRequestError,
    InvalidResponseError,
    InvoiceNotFoundError,
    LigdicashError,
)
from ._operations import RequestSpec, ResultT
from ._outcomes import map_transport_error, parse_response, parse_retry_after
from ._records import RequestRecord, redact_body

# Sleep is re-exported: this was its import path.
__all__ = ["Sender", "Sleep", "api_root", "build_request", "exchange", "exchange_routes"]

logger = logging.getLogger("ligdicash")

#: Backoff before retry n (0-based): 0.5 s, 1 s, 2 s, ... capped, minus up to 25 % jitter.
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
#: A Retry-After longer than this is not waited for: the error is raised with it instead.
MAX_RETRY_AFTER = 60.0
_EXCERPT = 200


#: A client's send: ``httpx.Client.send`` (returns the response) or
#: ``httpx.AsyncClient.send`` (returns an awaitable of it).
Sender = Callable[[httpx.Request], Any]


def build_request(settings: Settings, spec: RequestSpec[Any]) -> httpx.Request:
    """The exact HTTP request for ``spec``: the same bytes whichever client sends it.

    Raises:
        InvalidRequestError: the URL or body cannot be encoded (a 2 MB token, a lone
            surrogate such as ``"\\ud800"``, a credential that is not ASCII); the message
            never repeats the value.
    """
    operation = spec.operation
    root = api_root(settings.base_url, operation.version)
    try:
        if spec.params:
            # One parse of the final URL (httpx's ``params=`` parses it twice);
            # ``urlencode`` is what httpx's ``QueryParams`` renders too.
            url = httpx.URL(f"{root}{operation.path}?{urlencode(spec.params)}")
        elif spec.path is not None:  # path parameters: one URL per call, not cached
            url = httpx.URL(root + spec.path)
        else:
            url = _endpoint_url(root, operation.path)
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


@functools.lru_cache(maxsize=16)
def api_root(base_url: str, version: str) -> str:
    """The root of API ``version`` beside ``base_url`` (the ``v01`` root).

    ``https://app.ligdicash.com/pay/v01/`` gives ``https://app.ligdicash.com/pay/v02/``
    for the LigdiCash Wallet endpoints; a sandbox's root the same way.

    Raises:
        ConfigurationError: ``base_url`` does not end with ``/v01/``, so the other
            version's root cannot be derived from it (nothing is sent).
    """
    if version == "v01":
        return base_url
    head, _, last = base_url.rstrip("/").rpartition("/")
    if last != "v01" or not head:
        raise ConfigurationError(
            f"the {version} endpoints (LigdiCash Wallet) live beside the v01 API root, "
            f"but base_url does not end with /v01/ ({base_url[:80]!r}): use the API root, "
            "e.g. https://app.ligdicash.com/pay/v01/"
        )
    return f"{head}/{version}/"


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
    send: Sender,
    on_request: Optional[Callable[[RequestRecord], Any]] = None,
    asynchronous: bool = False,
    jitter: Callable[[], float] = random.random,
) -> Generator[Effect, Optional[httpx.Response], ResultT]:
    """Run one operation as a sequence of effects; return the parsed model or raise.

    Drive it with :func:`ligdicash._drive.drive` / ``adrive``: ``send(request)`` is
    yielded as a :class:`Call`, the response sent in, an exception the send raised thrown
    in at the ``yield``. ``asynchronous`` selects the flavour of the trace callback that
    records what each attempt wrote (and goes with an async ``send``).

    Raises:
        LigdicashError: a subclass for every failure (refusal, HTTP status, network,
            invalid body); never an httpx or json exception.
    """
    check_testable(settings, spec)
    operation = spec.operation
    request = build_request(settings, spec)
    shown = spec.shown_path
    record = RequestRecord(
        operation=operation.name,
        method=operation.method,
        url=str(request.url)
        if shown is None
        else api_root(settings.base_url, operation.version) + shown,
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
            response = yield Call(send, request)
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


def exchange_routes(
    settings: Settings,
    spec: RequestSpec[ResultT],
    *,
    preferred_fallbacks: set[str],
    send: Sender,
    on_request: Optional[Callable[[RequestRecord], Any]] = None,
    asynchronous: bool = False,
    jitter: Callable[[], float] = random.random,
) -> Generator[Effect, Optional[httpx.Response], ResultT]:
    """:func:`exchange`, then ``spec.fallback`` if the first route does not know the call.

    For a status read with two routes (a merchant payout's: the documented
    ``withdrawal/confirm/`` and the older ``straight/payout/confirm/``): the other route is
    asked when one answers not-found (:class:`InvoiceNotFoundError`) or HTTP 404. Status
    reads move no money, so asking twice is safe. ``preferred_fallbacks`` is the client's
    memory: the names of the operations whose fallback answered when the first route did
    not, which then go to the fallback first (and back if it stops answering).

    Raises:
        LigdicashError: as :func:`exchange`. When both routes miss, the refusal (a route
            that exists and does not know the token) rather than a 404.
    """

    def route(one: RequestSpec[ResultT]) -> Generator[Effect, Optional[httpx.Response], ResultT]:
        return exchange(
            settings,
            one,
            send=send,
            on_request=on_request,
            asynchronous=asynchronous,
            jitter=jitter,
        )

    fallback = spec.fallback
    if fallback is None:
        return (yield from route(spec))
    # One reading of the answer whichever route gives it (the primary's, which a caller
    # may have set after building the spec).
    fallback.parse = spec.parse
    name = spec.operation.name
    first, second = (fallback, spec) if name in preferred_fallbacks else (spec, fallback)
    try:
        return (yield from route(first))
    except (InvoiceNotFoundError, APIStatusError) as exc:
        if not _route_missed(exc):
            raise
        first_error: LigdicashError = exc
    try:
        result = yield from route(second)
    except (InvoiceNotFoundError, APIStatusError) as exc:
        if not _route_missed(exc) or isinstance(exc, InvoiceNotFoundError):
            raise
        second_error: LigdicashError = exc
    else:
        # The other route knew what this one did not: start there next time.
        if second is fallback:
            preferred_fallbacks.add(name)
        else:
            preferred_fallbacks.discard(name)
        return result
    raise first_error if isinstance(first_error, InvoiceNotFoundError) else second_error


def _route_missed(error: LigdicashError) -> bool:
    """Whether ``error`` says "this route does not know that call" (not-found or 404)."""
    if isinstance(error, InvoiceNotFoundError):
        return True
    return isinstance(error, APIStatusError) and error.http_status == 404


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
