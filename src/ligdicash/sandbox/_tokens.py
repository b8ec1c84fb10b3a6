"""JWT-shaped tokens like the ones LigdiCash hands out (the callback hash is
``ligdicash._callbacks.callback_hash``, shared with the SDK).

A token is three base64url segments: the header ``{"typ":"JWT","alg":"HS256"}``, a payload
``{"id_invoice", "start_date", "expiry_date", "nonce"}`` and an HMAC-SHA256 signature. The
nonce pads it into the 300-1,000 characters the real API produces and makes each token unique.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

TOKEN_VALIDITY_SECONDS = 86_400
_HEADER = {"typ": "JWT", "alg": "HS256"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def now_text(moment: float | None = None) -> str:
    """A timestamp as the API writes it: ``2023-02-23 18:24:12`` (UTC)."""
    return time.strftime(
        "%Y-%m-%d %H:%M:%S", time.gmtime(time.time() if moment is None else moment)
    )


def make_token(id_invoice: int, secret: bytes, **extra: Any) -> str:
    """A fresh, unique, signed token for the invoice (or payout) ``id_invoice``."""
    started = time.time()
    payload: dict[str, Any] = {
        "id_invoice": str(id_invoice),
        "start_date": now_text(started),
        "expiry_date": int(started) + TOKEN_VALIDITY_SECONDS,
        **extra,
        "nonce": secrets.token_hex(64),
    }
    head = _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}".encode("ascii")
    signature = _b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{head}.{body}.{signature}"


def token_payload(token: str) -> dict[str, Any]:
    """The decoded payload of a token (unverified); raises ``ValueError`` if malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a token has three segments")
    data = json.loads(_unb64(parts[1]))
    if not isinstance(data, dict):
        raise ValueError("token payload is not an object")
    return data


def verify_token(token: str, secret: bytes) -> bool:
    """Whether the token's signature was made with ``secret``."""
    head, _, rest = token.partition(".")
    body, _, signature = rest.partition(".")
    expected = hmac.new(secret, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    try:
        return hmac.compare_digest(expected, _unb64(signature))
    except ValueError:
        return False
