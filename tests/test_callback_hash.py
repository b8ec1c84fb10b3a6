"""Callback.verify_hash: sha256(api_key + token + auth_token), constant time, missing ≠ valid."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

import ligdicash
from ligdicash import _callbacks

API_KEY, AUTH_TOKEN, TOKEN = "api-key-1", "auth-token-1", "callback-token-xyz"
GOOD = hashlib.sha256((API_KEY + TOKEN + AUTH_TOKEN).encode()).hexdigest()


def callback_with(**fields: object) -> ligdicash.Callback:
    body = {"token": TOKEN, "status": "completed", **fields}
    return ligdicash.parse_callback(json.dumps(body).encode(), "application/json")


def test_a_correct_hash_verifies() -> None:
    callback = callback_with(hash=GOOD)
    callback.verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)
    assert callback.hash_matches(api_key=API_KEY, auth_token=AUTH_TOKEN)


def test_an_upper_case_hash_verifies_too() -> None:
    callback_with(hash=GOOD.upper()).verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)


def test_a_missing_hash_is_reported_as_missing_never_as_valid() -> None:
    callback = callback_with()
    assert not callback.has_hash
    assert not callback.hash_matches(api_key=API_KEY, auth_token=AUTH_TOKEN)
    with pytest.raises(ligdicash.InvalidCallbackError) as info:
        callback.verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)
    assert info.value.code == "missing_hash"


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), id="one-digit-off"),
        pytest.param(hashlib.sha256((API_KEY + AUTH_TOKEN).encode()).hexdigest(), id="no-token"),
        pytest.param(
            hashlib.sha256(("other-key" + TOKEN + AUTH_TOKEN).encode()).hexdigest(),
            id="other-key",
        ),
        pytest.param("é" * 64, id="non-ascii"),
        pytest.param("0", id="short"),
    ],
)
def test_a_wrong_hash_is_refused(forged: str) -> None:
    callback = callback_with(hash=forged)
    with pytest.raises(ligdicash.InvalidCallbackError) as info:
        callback.verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)
    assert info.value.code == "invalid_hash"
    assert GOOD not in str(info.value)


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(_callbacks.hmac, "compare_digest", spy)
    callback_with(hash=GOOD).verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)
    assert calls == [(GOOD.encode(), GOOD.encode())]


def test_the_hash_of_a_form_callback_verifies_like_the_json_one() -> None:
    body = f"token={TOKEN}&status=completed&hash={GOOD}".encode()
    callback = ligdicash.parse_callback(body, "application/x-www-form-urlencoded")
    callback.verify_hash(api_key=API_KEY, auth_token=AUTH_TOKEN)


@pytest.mark.parametrize("client_class", [ligdicash.Client, ligdicash.AsyncClient])
def test_a_client_checks_a_hash_with_its_own_credentials_without_showing_them(
    client_class: type[ligdicash.Client] | type[ligdicash.AsyncClient],
) -> None:
    client = client_class(api_key=API_KEY, auth_token=AUTH_TOKEN)
    other = client_class(api_key="other-key", auth_token=AUTH_TOKEN)
    assert client.callback_hash_matches(callback_with(hash=GOOD))
    assert not other.callback_hash_matches(callback_with(hash=GOOD))
    assert not client.callback_hash_matches(callback_with())
    assert not client.callback_hash_matches(callback_with(hash="0" * 64))
