"""The provider's documented payloads (``tests/fixtures/provider/``), as bodies to post.

Each fixture quotes a LigdiCash developer page (its ``source`` URL); these helpers turn them
into request bodies, optionally re-signed for a test's credentials (the documented ``hash``
was made with the provider's example keys, unknown to us).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ligdicash._callbacks import callback_hash

FIXTURES = Path(__file__).parent / "fixtures" / "provider"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

PAYIN_ORDER = "ART5A7044E5"  # the merchant's transaction_id in the payin examples
PAYOUT_ORDER = "502d36d2086249118198d06780b1c9fd"  # the payout example's root id
PAYIN_AMOUNT = 4200
PAYOUT_AMOUNT = 100


def load(name: str) -> dict[str, Any]:
    """The whole fixture file ``name`` (without ``.json``)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of the documented JSON payload of fixture ``name``."""
    return copy.deepcopy(load(name)["payload"])


def form_fields(name: str) -> list[tuple[str, str]]:
    """The documented form copy of fixture ``name`` as ordered pairs."""
    return [(str(k), str(v)) for k, v in load(name)["fields"]]


def _signed_records(records: Any, digest: str) -> Any:
    if not isinstance(records, list):
        return records
    return [
        {**r, "valueof_customdata": digest} if r.get("keyof_customdata") == "hash" else r
        for r in records
    ]


def json_body(name: str, *, api_key: str = "", auth_token: str = "") -> bytes:
    """The JSON callback of fixture ``name``; with credentials, its ``hash`` record is
    re-made as ``sha256(api_key + token + auth_token)`` for them."""
    body = payload(name)
    if api_key:
        digest = callback_hash(api_key, str(body.get("token", "")), auth_token)
        body["custom_data"] = _signed_records(body.get("custom_data"), digest)
    return json.dumps(body).encode()


def form_body(name: str, *, api_key: str = "", auth_token: str = "") -> bytes:
    """The form callback of fixture ``name`` (custom_data as stringified JSON); with
    credentials, re-signed like :func:`json_body`."""
    pairs = form_fields(name)
    if api_key:
        token = dict(pairs).get("token", "")
        digest = callback_hash(api_key, token, auth_token)
        pairs = [
            (k, json.dumps(_signed_records(json.loads(v), digest)) if k == "custom_data" else v)
            for k, v in pairs
        ]
    return urlencode(pairs).encode()


def confirm_answer(name: str, token: str = "", **changes: Any) -> dict[str, Any]:
    """The documented status answer of fixture ``name``, for ``token``, with ``changes``."""
    body = payload(name)
    if body.get("token") == "{PAYOUT_TOKEN}":
        body["token"] = token
    body.update(changes)
    return body
