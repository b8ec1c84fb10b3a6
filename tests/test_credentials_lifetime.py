"""The credentials live and die with their client: no module-level cache keeps them.

The request headers are built once per client, on its resolved settings; they used to sit in
an ``lru_cache`` of ``_pipeline`` keyed by ``(api_key, auth_token)``, where every client's
secrets stayed for the life of the process.
"""

from __future__ import annotations

import gc
import secrets
from typing import Any

import httpx

import ligdicash
from fake_ligdicash import FakeLigdicash, status_body
from ligdicash import _pipeline
from ligdicash._operations import status_spec


def _holders(*needles: bytes) -> list[str]:
    """The type names of gc-tracked objects holding a str or bytes containing a needle.

    Containers are searched one level down through tuples, which CPython may untrack.
    """

    # type(), never isinstance(): isinstance asks ``__class__``, which sets up lazy proxies
    # lying around the heap (Django's ``staticfiles_storage`` raises when unconfigured).
    def holds(value: Any) -> bool:
        kind = type(value)
        if issubclass(kind, str):
            value = value.encode("ascii", "replace")
            kind = bytes
        if issubclass(kind, bytes):
            return any(needle in value for needle in needles)
        if kind is tuple:
            return any(issubclass(type(v), (str, bytes)) and holds(v) for v in value)
        return False

    found = []
    for obj in gc.get_objects():
        if obj is needles:  # this call's own arguments
            continue
        kind = type(obj)
        if issubclass(kind, dict):
            items: Any = [*obj.keys(), *obj.values()]
        elif issubclass(kind, (list, tuple, set, frozenset)):
            items = obj
        else:
            continue
        if any(holds(item) for item in items):
            found.append(kind.__name__)
    return found


def test_a_closed_client_leaves_its_credentials_nowhere(fake: FakeLigdicash) -> None:
    # Fresh random credentials: nothing else in the process can hold them.
    api_key = "key" + secrets.token_hex(12)
    auth_token = "tok" + secrets.token_hex(12)
    fake.push_json(status_body("t1"))
    with ligdicash.Client(api_key=api_key, auth_token=auth_token, base_url=fake.base_url) as c:
        c.get_transaction("t1", "payin")
        assert fake.requests[-1].headers["apikey"] == api_key
    del c
    # The server side holds what it received: its request log, and a keep-alive handler's
    # parsed headers until it has read the client's hang-up.
    fake.wait_idle()
    fake.reset()
    gc.collect()
    assert _holders(api_key.encode(), auth_token.encode()) == []


def test_the_headers_are_built_once_per_client_not_per_request() -> None:
    with ligdicash.Client(api_key="k1", auth_token="t1", base_url="http://127.0.0.1:9/") as c:
        settings = c._settings
    assert not hasattr(_pipeline, "_headers")  # the former module-level cache
    spec = status_spec("t", "payin")
    first = _pipeline.build_request(settings, spec)
    second = _pipeline.build_request(settings, spec)
    assert settings.headers is c._settings.headers
    for request in (first, second):
        assert request.headers["Apikey"] == "k1"
        assert request.headers["Authorization"] == "Bearer t1"
        assert set(settings.headers.items()) <= set(request.headers.items())
    assert settings.json_headers["Content-Type"] == "application/json"
    assert "Content-Type" not in settings.headers
    assert isinstance(settings.headers, httpx.Headers)


def test_the_settings_repr_shows_no_header() -> None:
    with ligdicash.Client(api_key="k2secret", auth_token="t2secret") as c:
        text = repr(c._settings)
    assert "k2secret" not in text
    assert "t2secret" not in text
