"""Incoming callbacks: :func:`parse_callback` reads either encoding into a :class:`Callback`.

LigdiCash posts every settlement twice to your ``callback_url``: once as JSON, once
form-encoded. The documented form copy carries ``custom_data`` as a stringified JSON array
of records; older deliveries flattened nested keys PHP-style
(``custom_data[transaction_id]=ORD-1``, ``custom_data[0][keyof_customdata]=...``). Every
shape parses into the same immutable :class:`Callback`.

A callback is a *claim*, never a proof of payment: a payin callback's ``token`` is empty
(documented as "Always empty"), a payout's differs from the one returned at creation, and
it carries no authentication but an optional ``hash``. Find your payment by
:attr:`Callback.order_id` and confirm it with ``client.confirm_callback(callback,
token=<stored creation token>, ...)`` before delivering.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Optional
from urllib.parse import parse_qsl

from ._exceptions import InvalidCallbackError
from ._wire import (
    mask_email,
    mask_name,
    mask_phone,
    normalize_keys,
    normalize_status,
    parse_wiki,
    read_amount,
    short_token,
    snake_case,
    split_custom_data,
    text,
)

__all__ = ["Callback", "callback_hash", "parse_callback"]

Encoding = Literal["json", "form"]

#: Bodies larger than this are refused unread: a real callback is a few kilobytes.
MAX_BODY_BYTES = 256 * 1024
#: Deepest ``a[b][c]`` nesting read from a form body; deeper brackets stay in the key.
_MAX_FORM_DEPTH = 8
_MAX_FORM_FIELDS = 1000

#: Deepest JSON nesting accepted; a real callback nests three levels (``custom_data``
#: records), and deep trees would make every later ``repr`` or walk recurse.
_MAX_JSON_DEPTH = 32
#: The declared charsets honoured (Python's codec names): the byte charsets a PHP server
#: may declare. Anything else (unknown, ``utf-7``, ``punycode``, ``idna``, the
#: ``unicode_escape`` transforms, garbage) is ignored and the body read as UTF-8, which is
#: what LigdiCash sends.
_HONOURED_CHARSETS = frozenset(
    ["utf-8", "utf-8-sig", "ascii"]
    + [f"iso8859-{n}" for n in range(1, 17) if n != 12]
    + [f"cp{n}" for n in range(1250, 1259)]
)

_JSON_TYPES = ("application/json", "text/json")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


def callback_hash(api_key: str, token: str, auth_token: str) -> str:
    """``sha256(api_key + token + auth_token)`` in lower-case hex: the callback's ``hash``."""
    return hashlib.sha256((api_key + token + auth_token).encode("utf-8")).hexdigest()


def _scalar(value: Any) -> str:
    """A field that must be a single value: containers read as empty."""
    if isinstance(value, (Mapping, list, tuple)):
        return ""
    return text(value).strip()


@dataclass(frozen=True)
class Callback:
    """One callback as LigdiCash posted it, whichever encoding it came in.

    ``status`` uses the documented words (``"completed"``, ``"pending"``, ``"cancelled"``),
    exactly as on :class:`Transaction`; the server's word is in ``raw_status``. ``token`` is
    the *callback's* token: empty for a payin (documented), different from the creation
    token for a payout; never use it for a status call. ``custom_data`` holds your keys;
    the records LigdiCash adds (``hash``, ``logfile``) are in ``provider_data``, and
    ``hash`` is read from the top level or, failing that, from those records. ``raw`` is
    the payload as received (form bodies unflattened), and ``encoding`` says which copy
    this was (``"json"`` or ``"form"``).

    The ``repr`` masks the customer's number and never shows the hash or token in full.
    """

    token: str
    status: str
    raw_status: str = ""
    response_code: str = ""
    response_text: str = ""
    amount: Optional[int] = None
    operator_id: str = ""
    operator_name: str = ""
    customer: str = ""
    external_id: str = ""
    transaction_id: str = ""
    request_id: str = ""
    date: str = ""
    custom_data: dict[str, Any] = field(default_factory=dict)
    wiki: list[str] = field(default_factory=list)
    description: str = ""
    hash: str = ""
    encoding: Encoding = "json"
    provider_data: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def montant(self) -> Optional[int]:
        """Alias of :attr:`amount` (the French key the server also sends)."""
        return self.amount

    @property
    def is_final(self) -> bool:
        """True when the callback claims a final status (completed or cancelled)."""
        return self.status in ("completed", "cancelled")

    @property
    def has_hash(self) -> bool:
        """True when the callback carried a non-empty ``hash`` field."""
        return bool(self.hash)

    @property
    def order_id(self) -> str:
        """Your own reference: the key to find what you stored at creation.

        ``custom_data["transaction_id"]`` as sent at creation wins whenever the callback
        carries it (payins always do). Otherwise (a payout callback, whose ``custom_data``
        is "often empty") the root :attr:`transaction_id` when it equals
        :attr:`external_id`: the payout payload page documents that root id as "equal to
        the external_id you provided at creation — use it to match the callback". A root
        ``transaction_id`` that differs from ``external_id`` is an operator's reference
        (older payin callbacks) and is never used. Empty when neither applies.

        Finding the payment by this key is only a lookup: confirm it with the token
        stored at creation before acting.
        """
        own = _scalar(self.custom_data.get("transaction_id"))
        if own:
            return own
        if self.transaction_id and self.transaction_id == self.external_id:
            return self.transaction_id
        return ""

    def hash_matches(self, *, api_key: str, auth_token: str) -> bool:
        """True only when ``hash`` is present and equals ``sha256(api_key+token+auth_token)``.

        Constant-time comparison; a missing hash is ``False``, and so is one that cannot be
        text (a ``Callback`` built by hand with a lone surrogate): it cannot match.
        """
        if not self.hash:
            return False
        try:
            expected = callback_hash(api_key, self.token, auth_token)
            given = self.hash.strip().lower().encode("utf-8")
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(expected.encode("ascii"), given)

    def verify_hash(self, *, api_key: str, auth_token: str) -> None:
        """Check the optional ``hash`` field, as a defence in depth (never as proof of payment).

        Raises:
            InvalidCallbackError: ``code="missing_hash"`` when the callback has no hash
                (a missing hash is never treated as valid), ``code="invalid_hash"`` when it
                does not match these credentials.
        """
        if not self.hash:
            raise InvalidCallbackError(
                "the callback carries no hash field; it cannot be checked",
                code="missing_hash",
            )
        if not self.hash_matches(api_key=api_key, auth_token=auth_token):
            raise InvalidCallbackError(
                "the callback's hash does not match sha256(api_key + token + auth_token)",
                code="invalid_hash",
            )

    def redacted(self) -> dict[str, Any]:
        """The raw payload, safe to log: phone masked, token shortened, hash withheld, the
        documented ``customer_details`` (phone, e-mail, names) masked."""
        out: dict[str, Any] = {}
        for key, value in self.raw.items():
            name = snake_case(key) if isinstance(key, str) else key
            if name == "hash":
                out[key] = "<redacted>" if value else value
            elif name == "customer":  # whatever its type: a number as float or in a list
                shown = _scalar(value)
                out[key] = mask_phone(shown) if shown or not value else "<redacted>"
            elif name == "token" and isinstance(value, str):
                out[key] = short_token(value)
            elif name == "custom_data":
                out[key] = _redact_custom_data(value)
            elif name == "customer_details":
                out[key] = _redact_customer_details(value)
            else:
                out[key] = value
        return out

    @classmethod
    def from_wire(cls, payload: Mapping[str, Any], *, encoding: Encoding = "json") -> Callback:
        """Build from a decoded payload (JSON object or unflattened form).

        An empty or missing ``token`` is accepted: the payin payload page documents it as
        "Always empty", and the token never identifies the payment anyway.

        Raises:
            InvalidCallbackError: no usable ``status``.
        """
        data = normalize_keys(payload)
        token = _scalar(data.get("token"))
        raw_status = _scalar(data.get("status"))
        if not raw_status:
            raise InvalidCallbackError("the callback has no status field")
        custom_data, provider_data = _custom_data(data.get("custom_data"))
        return cls(
            token=token,
            status=normalize_status(raw_status),
            raw_status=raw_status,
            response_code=_scalar(data.get("response_code")),
            response_text=text(data.get("response_text")),
            amount=read_amount(data),
            operator_id=_scalar(data.get("operator_id")),
            operator_name=text(data.get("operator_name")),
            customer=_scalar(data.get("customer")),
            external_id=_scalar(data.get("external_id")),
            transaction_id=_scalar(data.get("transaction_id")),
            request_id=_scalar(data.get("request_id")),
            date=_scalar(data.get("date")),
            custom_data=custom_data,
            wiki=parse_wiki(data.get("wiki")),
            description=text(data.get("description")),
            hash=_scalar(data.get("hash")) or _scalar(provider_data.get("hash")),
            encoding=encoding,
            provider_data=provider_data,
            raw=dict(payload),
        )

    def __repr__(self) -> str:
        shown_hash = self.hash[:8] + "..." if self.hash else ""
        return (
            f"Callback(status={self.status!r}, raw_status={self.raw_status!r}, "
            f"amount={self.amount!r}, token={short_token(self.token)!r}, "
            f"customer={mask_phone(self.customer)!r}, custom_data={self.custom_data!r}, "
            f"hash={shown_hash!r}, encoding={self.encoding!r})"
        )


#: ``customer_details`` fields (payin payload page) and how each is masked in a log.
_CUSTOMER_MASKS = {
    "phone": mask_phone,
    "email": mask_email,
    "firstname": mask_name,
    "lastname": mask_name,
}


def _redact_customer_details(value: Any) -> Any:
    """``customer_details`` (phone, e-mail, names) masked; a JSON text of it too; any other
    shape withheld whole (it is the customer's, whatever it holds)."""
    if isinstance(value, str) and value.strip()[:1] == "{":
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return "<redacted>"
        return json.dumps(_redact_customer_details(parsed), ensure_ascii=False)
    if isinstance(value, Mapping):
        shown: dict[Any, Any] = {}
        for k, v in value.items():
            mask = _CUSTOMER_MASKS.get(snake_case(str(k)))
            if mask is not None:
                shown[k] = mask(_scalar(v)) if v not in (None, "") else v
            else:
                shown[k] = v if v in (None, "") else "<redacted>"
        return shown
    return value if value in (None, "", [], {}) else "<redacted>"


def _redact_custom_data(value: Any, depth: int = 0) -> Any:
    """``custom_data`` as received, with the ``hash`` LigdiCash adds to it withheld, in
    whichever shape it came (records, object, form-unflattened, JSON in a string)."""
    if depth > 3:
        return value
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return json.dumps(_redact_custom_data(parsed, depth + 1), ensure_ascii=False)
    if isinstance(value, list):
        return [_redact_custom_data(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        if _is_record(value):
            record = normalize_keys(value)
            if text(record.get("keyof_customdata")) == "hash":
                return {
                    k: ("<redacted>" if snake_case(str(k)) == "valueof_customdata" else v)
                    for k, v in value.items()
                }
            return dict(value)
        return {
            k: (
                "<redacted>"
                if k == "hash" and v
                else _redact_custom_data(v, depth + 1)
                if isinstance(v, (Mapping, list))
                else v
            )
            for k, v in value.items()
        }
    return value


def _is_record(value: Any) -> bool:
    return isinstance(value, Mapping) and "keyof_customdata" in normalize_keys(value)


def _custom_data(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``custom_data`` from any shape: object, list of records, their form-unflattened
    versions (``{"0": {"keyof_customdata": ...}}``), or either one JSON-encoded in a string
    (the documented form copy); split into (the merchant's keys, LigdiCash's ``hash``,
    ``logfile``).
    """
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return {}, {}
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(k, str) and k.isdigit() for k in value)
        and all(_is_record(v) for v in value.values())
    ):
        value = [value[k] for k in sorted(value, key=int)]
    return split_custom_data(value)


def _split_key(key: str) -> list[str]:
    """``custom_data[0][keyof_customdata]`` → ``["custom_data", "0", "keyof_customdata"]``."""
    base, bracket, rest = key.partition("[")
    if not bracket or not base:
        return [key]
    parts = [base]
    rest = "[" + rest
    while rest.startswith("[") and len(parts) <= _MAX_FORM_DEPTH:
        end = rest.find("]")
        if end < 0:
            break
        parts.append(rest[1:end])
        rest = rest[end + 1 :]
    if rest:  # malformed or too deep: keep the remainder in the last part, as PHP does
        parts[-1] += rest
    return parts


def unflatten_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form pairs to nested dicts, PHP-style: ``a[b]=1`` → ``{"a": {"b": "1"}}``.

    ``a[]=x`` appends (numbered ``"0"``, ``"1"``, ...). When a key is both a value and a
    parent (``a=1&a[b]=2``), the later pair wins. Never raises on odd keys.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split_key(key)
        node = out
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            name = str(len(node)) if part == "" else part
            if last:
                node[name] = value
            else:
                child = node.get(name)
                if not isinstance(child, dict):
                    child = {}
                    node[name] = child
                node = child
    return out


def _media_type(content_type: str) -> tuple[str, str]:
    media, _, params = (content_type or "").partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _honoured_codec(charset: str) -> str:
    """Python's name for ``charset`` when it is one we honour, else ``"utf-8"``."""
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError, TypeError):  # unknown, or a NUL in the name
        return "utf-8"
    return name if name in _HONOURED_CHARSETS else "utf-8"


def _decode(body: bytes, charset: str) -> str:
    codec = _honoured_codec(charset)
    try:
        return body.decode(codec)
    except UnicodeError:
        pass
    try:
        return body.decode("utf-8")
    except UnicodeError:
        raise InvalidCallbackError(f"the callback body is not valid {codec} text") from None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a "\ud800" JSON escape
        return False
    return True


def _check_tree(payload: Any) -> None:
    """Refuse nesting deeper than a callback has and strings that are not text.

    Iterative on purpose: the point is to refuse what would make recursive code fail.
    """
    stack: list[tuple[Any, int]] = [(payload, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if not _is_text(node):
                raise InvalidCallbackError("the callback holds a lone surrogate, not text")
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= _MAX_JSON_DEPTH:
            raise InvalidCallbackError(
                f"the callback body is nested deeper than {_MAX_JSON_DEPTH} levels"
            )
        if isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            stack.extend((value, depth + 1) for value in node.values())
        else:
            stack.extend((value, depth + 1) for value in node)


def _parse_json(body: str) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise InvalidCallbackError("the callback body is nested too deeply") from None
    except ValueError:
        raise InvalidCallbackError("the callback body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise InvalidCallbackError(
            f"the callback body is a JSON {type(payload).__name__}, not an object"
        )
    _check_tree(payload)
    return payload


def _parse_form(body: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(
            body, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS, errors="replace"
        )
    except ValueError:
        raise InvalidCallbackError("the callback form body has too many fields") from None
    return unflatten_form(pairs)


def parse_callback(body: bytes, content_type: str) -> Callback:
    """Read a callback request body, JSON or form-encoded, into a :class:`Callback`.

    Pass the request's raw body and its ``Content-Type`` header. JSON
    (``application/json``) and forms (``application/x-www-form-urlencoded``, with
    ``custom_data[key]=value`` flattening) are both read; with another or no content type
    the body is sniffed (``{`` → JSON, else form). Either ``custom_data`` shape (object or
    list of records) becomes a dict.

    This only *reads* the callback. Confirm it with ``confirm_callback`` before acting.

    A declared ``charset`` is honoured when it is UTF-8, ASCII, ISO-8859-* or
    windows-125*; any other (unknown, ``utf-7``, ``punycode``, garbage) is ignored and
    the body read as UTF-8, which is what LigdiCash sends.

    Raises:
        InvalidCallbackError: the body is empty, too large, not text (including a lone
            surrogate in a JSON escape), not a JSON object, nested deeper than a callback
            ever is, or has no ``status``. An empty ``token`` is read, not refused.
    """
    if isinstance(body, str):  # be forgiving: frameworks sometimes hand over text
        try:
            body = body.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            raise InvalidCallbackError("the callback body is not valid text") from None
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise InvalidCallbackError(f"the callback body must be bytes, not {type(body).__name__}")
    body = bytes(body)
    if not body.strip():
        raise InvalidCallbackError("the callback body is empty")
    if len(body) > MAX_BODY_BYTES:
        raise InvalidCallbackError(f"the callback body is larger than {MAX_BODY_BYTES} bytes")
    media, charset = _media_type(content_type if isinstance(content_type, str) else "")
    decoded = _decode(body, charset)
    if media in _JSON_TYPES or media.endswith("+json"):
        encoding: Encoding = "json"
    elif media in _FORM_TYPES:
        encoding = "form"
    elif media.startswith("multipart/"):
        raise InvalidCallbackError(f"unsupported callback content type {media!r}")
    else:
        encoding = "json" if decoded.lstrip().startswith("{") else "form"
    payload = _parse_json(decoded) if encoding == "json" else _parse_form(decoded)
    return Callback.from_wire(payload, encoding=encoding)
