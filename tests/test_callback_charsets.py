"""parse_callback never lets a codec, a lone surrogate or deep nesting escape as a raw error.

Whatever ``Content-Type`` a poster declares (an unknown charset, ``punycode``, ``utf-7``, a
NUL byte, garbage), the answer is a :class:`Callback` or an ``InvalidCallbackError``; and a
parsed callback can always be shown, redacted and hash-checked.
"""

from __future__ import annotations

import encodings.aliases
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ligdicash
from ligdicash._callbacks import callback_hash

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
API_KEY, AUTH_TOKEN = "api-key-1", "auth-token-1"
TOKEN = "callback-token-1"
BODY = json.dumps({"token": TOKEN, "status": "completed", "amount": 31500}).encode()
FORM_BODY = f"token={TOKEN}&status=completed&amount=31500".encode()

ODD_CHARSETS = [
    "punycode",
    "utf-7",
    "idna",
    "rot13",
    "hex",
    "base64",
    "zlib",
    "unicode_escape",
    "raw_unicode_escape",
    "utf-16",
    "utf-32-be",
    "a\x00b",
    "no-such-charset",
    "x" * 500,
    '"',
    "",
]


def shows_safely(callback: ligdicash.Callback) -> None:
    repr(callback)
    repr(callback.redacted())
    callback.hash_matches(api_key=API_KEY, auth_token=AUTH_TOKEN)
    _ = callback.order_id


@pytest.mark.parametrize("charset", ODD_CHARSETS)
@pytest.mark.parametrize(("body", "media"), [(BODY, JSON), (FORM_BODY, FORM)])
def test_an_odd_declared_charset_reads_the_body_as_utf8(
    charset: str, body: bytes, media: str
) -> None:
    callback = ligdicash.parse_callback(body, f"{media}; charset={charset}")
    assert (callback.token, callback.status, callback.amount) == (TOKEN, "completed", 31500)
    shows_safely(callback)


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "windows-1252", '"latin1"'])
def test_a_real_single_byte_charset_is_honoured(charset: str) -> None:
    body = "token=t-1&status=completed&custom_data[name]=Aïcha".encode("latin-1")
    callback = ligdicash.parse_callback(body, f"{FORM}; charset={charset}")
    assert callback.custom_data == {"name": "Aïcha"}


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "utf-8-sig"])
def test_utf8_in_any_spelling_is_read(charset: str) -> None:
    body = "\ufeff".encode() * (charset == "utf-8-sig") + BODY
    assert ligdicash.parse_callback(body, f"{JSON}; charset={charset}").token == TOKEN


@pytest.mark.parametrize(
    "payload",
    [
        '{"token": "\\ud800", "status": "completed"}',
        '{"token": "t", "status": "completed", "hash": "\\udfff"}',
        '{"token": "t", "status": "completed", "custom_data": {"transaction_id": "\\ud83d"}}',
        '{"token": "t", "status": "completed", "custom_data": {"\\udc00": "1"}}',
    ],
)
def test_a_lone_surrogate_escaped_in_json_is_refused(payload: str) -> None:
    with pytest.raises(ligdicash.InvalidCallbackError, match="surrogate"):
        ligdicash.parse_callback(payload.encode(), JSON)


def test_a_surrogate_pair_escaped_in_json_is_ordinary_text() -> None:
    payload = '{"token": "t", "status": "completed", "custom_data": {"note": "\\ud83d\\ude00"}}'
    callback = ligdicash.parse_callback(payload.encode(), JSON)
    assert callback.custom_data == {"note": "\U0001f600"}


def test_utf7_is_not_honoured_so_its_escapes_stay_plain_text() -> None:
    # Read as utf-7, "+2AA-" would be a lone surrogate; read as UTF-8 it is plain text.
    body = b'{"token": "+2AA-", "status": "completed"}'
    assert ligdicash.parse_callback(body, f"{JSON}; charset=utf-7").token == "+2AA-"


@pytest.mark.parametrize("depth", [40, 900, 5000])
def test_deeply_nested_json_is_refused(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = f'{{"token": "t", "status": "completed", "custom_data": {nested}}}'.encode()
    with pytest.raises(ligdicash.InvalidCallbackError, match="nested"):
        ligdicash.parse_callback(body, JSON)


def test_a_real_callbacks_nesting_is_far_below_the_limit() -> None:
    records = [{"keyof_customdata": "transaction_id", "valueof_customdata": {"a": {"b": [1]}}}]
    body = json.dumps({"token": "t", "status": "completed", "custom_data": records}).encode()
    assert ligdicash.parse_callback(body, JSON).token == "t"


# -- hypothesis ---------------------------------------------------------------------------
ALIASES = encodings.aliases.aliases
codec_names = st.sampled_from(
    [
        *sorted(set(ALIASES) | set(ALIASES.values())),
        *["punycode", "utf-7", "idna", "unicode_escape", "rot13", "mbcs", "oem"],
    ]
)
content_types = st.builds(
    "{}; charset={}".format,
    st.sampled_from([JSON, FORM, "text/plain", "", "multipart/form-data"]),
    codec_names | st.text(max_size=30),
) | st.text(max_size=60)
bodies = (
    st.binary(max_size=1500)
    | st.builds(
        lambda value: json.dumps(
            {"token": "t", "status": "completed", "custom_data": value}, ensure_ascii=True
        ).encode(),
        st.recursive(
            st.text(max_size=10) | st.integers(),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=5), children, max_size=3)
            ),
            max_leaves=15,
        ),
    )
    | st.builds(lambda text: text.encode("utf-8", "surrogatepass"), st.text(max_size=300))
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, content_type=content_types)
def test_fuzzed_bodies_and_content_types_give_a_callback_or_an_invalid_callback_error(
    body: bytes, content_type: str
) -> None:
    try:
        callback = ligdicash.parse_callback(body, content_type)
    except ligdicash.InvalidCallbackError:
        return
    shows_safely(callback)


def test_the_hash_of_a_parsed_callback_still_checks() -> None:
    fields: dict[str, Any] = {
        "token": TOKEN,
        "status": "completed",
        "hash": callback_hash(API_KEY, TOKEN, AUTH_TOKEN),
    }
    callback = ligdicash.parse_callback(json.dumps(fields).encode(), f"{JSON}; charset=punycode")
    assert callback.hash_matches(api_key=API_KEY, auth_token=AUTH_TOKEN)
