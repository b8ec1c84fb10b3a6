"""What one attempt came back with, read into the operation's model or a ``LigdicashError``.

Two pure functions shared by both clients: :func:`parse_response` (an HTTP answer) and
:func:`map_transport_error` (whatever the send raised). Money safety lives in the wording:
every error after which a creation or payout may exist says so
(``request_may_have_been_sent=True``) and says how to check before sending anything again.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from typing import Any, Optional

import httpx

from ._codes import refusal_error
from ._config import Settings
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    LigdicashError,
    RateLimitError,
    ServerError,
    WalletOtpNotSentError,
)
from ._operations import WALLET_OTP, RequestSpec, ResultT
from ._records import RequestRecord
from ._wire import normalize_keys, parse_wiki, text

__all__ = ["map_transport_error", "may_exist_note", "parse_response", "parse_retry_after"]

_EXCERPT = 200
#: Where LigdiCash's API lives under its hosts; a base_url without it gives 404s.
API_ROOT_HINT = (
    "the base_url should be the API root, ending in /pay/v01/ "
    "(e.g. https://app.ligdicash.com/pay/v01/, or http://127.0.0.1:8765/pay/v01/ for a "
    "local sandbox)"
)


def may_exist_note(spec: RequestSpec[Any], record: RequestRecord) -> str:
    """The sentence a creation's or payout's error ends with when it may have landed."""
    if spec.operation is WALLET_OTP:
        return (
            ". The request may have reached LigdiCash and the customer may have received an "
            "OTP: ask them before having another one sent (a new OTP may void the first)"
        )
    what = "payout" if "payout" in spec.operation.name else "payment"
    return (
        f". The request may have reached LigdiCash and the {what} may exist: do not send it "
        "again blindly. Check first: get_transaction(token) if you received its token; "
        "otherwise find it from error.request_record (what was sent, custom_data "
        f"{record.custom_data!r}) on the dashboard or by its callback"
    )


def map_transport_error(
    exc: BaseException, spec: RequestSpec[Any], record: RequestRecord, sent: bool
) -> LigdicashError:
    """Translate whatever the send raised into a :class:`LigdicashError` subclass.

    ``sent`` is the evidence of the attempt (:class:`~ligdicash._evidence.SendEvidence`):
    whether any byte of the request may have been written. It, not the exception's
    class, decides ``request_may_have_been_sent``.
    """
    operation = spec.operation
    where = f"{operation.method} {operation.path}"
    cls: type[LigdicashError]
    if isinstance(exc, httpx.DecodingError):
        message = f"the answer to {where} could not be decoded (corrupt compressed body)"
        cls = InvalidResponseError
    elif isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.PoolTimeout: "waiting for a free connection to",
            httpx.WriteTimeout: "sending the request to",
        }.get(type(exc), "waiting for the answer from")
        message = f"timed out {phase} LigdiCash ({where})"
        cls = APITimeoutError
    elif isinstance(exc, httpx.ConnectError):
        message = f"could not connect to LigdiCash ({where}): {exc or 'connection refused'}"
        cls = APIConnectionError
    else:
        detail = (str(exc) or type(exc).__name__).rstrip(".")
        message = f"the connection failed during {where}: {detail}"
        cls = APIConnectionError
    if sent and not operation.idempotent:
        message += may_exist_note(spec, record)
    return cls(
        message,
        request_may_have_been_sent=sent,
        operation=operation.name,
        request_record=record,
    )


#: ``json.loads`` failed (HTML, truncated, empty, not UTF-8).
_UNREADABLE = object()


def _excerpt(response: httpx.Response) -> str:
    return response.content[:_EXCERPT].decode("utf-8", "replace")


def parse_response(
    settings: Settings,
    spec: RequestSpec[ResultT],
    response: httpx.Response,
    record: RequestRecord,
) -> ResultT:
    """Read a final HTTP answer into the operation's model, or raise the matching error.

    Raises:
        APIStatusError: a status other than 2xx (``ServerError`` for 5xx,
            ``RateLimitError`` for 429; a 404 says what the ``base_url`` should be).
        InvalidResponseError: a 2xx whose body is not a LigdiCash JSON object.
        RequestRefusedError: ``Echec (CodeNN)``, as the class of its endpoint family.
    """
    operation = spec.operation
    status = response.status_code
    content = response.content
    payload: object = _UNREADABLE
    if 200 <= status < 300:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            payload = json.loads(content)
        if isinstance(payload, dict):
            data = normalize_keys(payload)
            code = text(data.get("response_code")).strip()
            if operation.flagged_answer and not code and "error" in data:
                if _flag_is_false(data["error"]):
                    return spec.parse(data, payload)
                raise _not_sent(spec, data, payload, status, record)
            if code == "00" or (not code and operation.family == "status" and "status" in data):
                return spec.parse(data, payload)
            if code:
                error = refusal_error(
                    data,
                    family=operation.family,
                    platform="test" if settings.platform == "test" else "live",
                    operation=operation.name,
                    http_status=status,
                    wiki=parse_wiki(data.get("wiki")),
                )
                error.request_record = record
                raise error
    raise _unexpected_answer(settings, spec, response, record, payload)


def _flag_is_false(value: object) -> bool:
    # JSON false, or what a PHP backend may print for it.
    return value is False or value in (0, "0", "false", "False", "")


def _not_sent(
    spec: RequestSpec[Any],
    data: dict[str, Any],
    payload: dict[str, Any],
    status: int,
    record: RequestRecord,
) -> WalletOtpNotSentError:
    """``{"error": true, "message": ...}``: LigdiCash says it sent no OTP."""
    words = text(data.get("message")).strip()
    message = WalletOtpNotSentError.default_message
    if words:
        message = f"{message}: {words[:_EXCERPT]}"
    return WalletOtpNotSentError(
        message,
        response_text=words,
        http_status=status,
        raw=payload,
        operation=spec.operation.name,
        request_record=record,
    )


def _unexpected_answer(
    settings: Settings,
    spec: RequestSpec[Any],
    response: httpx.Response,
    record: RequestRecord,
    payload: object,
) -> LigdicashError:
    """The error for an answer that is neither a result nor a refusal."""
    operation = spec.operation
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
    if 200 <= status < 300:
        if payload is _UNREADABLE:
            what = "an HTML page" if looks_html else "a body that is not valid JSON (or truncated)"
            message = f"LigdiCash answered HTTP {status} with {what}"
        elif isinstance(payload, dict):
            message = "LigdiCash answered a JSON object without response_code"
        else:
            message = f"LigdiCash answered a JSON {type(payload).__name__}, not an object"
        # The server took the request; what it did with it is unknown.
        if not operation.idempotent:
            message += may_exist_note(spec, record)
        return InvalidResponseError(
            message,
            body_excerpt=_excerpt(response),
            request_may_have_been_sent=True,
            operation=operation.name,
            request_record=record,
        )
    kind = "an HTML page (a proxy or gateway error)" if looks_html else "an error"
    message = f"LigdiCash answered HTTP {status} with {kind}"
    status_cls: type[APIStatusError] = APIStatusError
    # 5xx and 408: a gateway may have passed the request on before failing. Other 4xx
    # mean it was not processed.
    may_exist = status >= 500 or status == 408
    if status == 429:
        status_cls = RateLimitError
        message += "; slow down (check a transaction's status at most every ~3 s)"
    elif status >= 500:
        status_cls = ServerError
    elif status == 404:
        message += f"; {API_ROOT_HINT}"
    if may_exist and not operation.idempotent:
        message += may_exist_note(spec, record)
    return status_cls(
        message,
        http_status=status,
        body_excerpt=_excerpt(response),
        retry_after=parse_retry_after(response.headers),
        request_may_have_been_sent=may_exist,
        operation=operation.name,
        request_record=record,
    )


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
