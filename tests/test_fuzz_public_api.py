"""Property-based fuzz of every public function and constructor of the core.

Arbitrary text (lone surrogates included), numbers of any size, nested data and wrong types
go into ``Invoice``, ``add_item``, both payins, ``Withdrawal``/``send``, ``get_transaction``,
the clients' settings and ``parse_callback``. Each call either succeeds against a real local
server (``tests/fake_ligdicash.py``) or raises a ``LigdicashError``: never anything else.
Deterministic (``derandomize``, no example database) and small enough for every run.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ligdicash
from fake_ligdicash import FakeLigdicash

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point, surrogates included (hypothesis leaves them out by default).
any_char = st.characters(exclude_categories=())
texts = st.text(any_char, max_size=30) | st.sampled_from(
    ["", " ", "\ud800", "22670123456", "+226 70 12 34 56", "tok", "https://s/cb", "xof"]
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 20, 500, 1_000_000, 2**64]),
    # Built, not listed: hypothesis reprs its strategies, and str() of 10**5000 raises.
    st.sampled_from([5000, -5000, 400]).map(lambda e: 10 ** abs(e) * (1 if e > 0 else -1)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1E+10000000"), Decimal("1E-1000000"), Decimal("sNaN")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts, st.binary(max_size=10))
nested = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=12,
)
anything = st.one_of(scalars, nested, st.builds(object))


def outcome(call: Callable[[], Any]) -> None:
    """Run ``call``; anything raised must be a LigdicashError (anything else fails)."""
    with contextlib.suppress(ligdicash.LigdicashError):
        call()


@pytest.fixture(scope="module")
def server(_fake_server: FakeLigdicash) -> FakeLigdicash:
    """The session's fake server (not reset per example: the fuzz only needs answers)."""
    return _fake_server


def client_for(server: FakeLigdicash) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=server.api_key,
        auth_token=server.auth_token,
        base_url=server.base_url,
        max_retries=0,
        timeout=5,
    )


@FUZZ
@given(
    invoice_args=st.lists(anything, max_size=7),
    item=st.tuples(anything, anything, anything, anything),
    pay=st.tuples(anything, anything, anything, anything),
    direct=st.booleans(),
)
def test_invoices_and_payins_succeed_or_raise_ligdicash_errors(
    server: FakeLigdicash,
    invoice_args: list[Any],
    item: tuple[Any, ...],
    pay: tuple[Any, ...],
    direct: bool,
) -> None:
    with client_for(server) as client:
        try:
            invoice = client.Invoice(*invoice_args)
        except ligdicash.LigdicashError:
            invoice = client.Invoice(description="fallback")
        outcome(lambda: invoice.add_item(*item))
        outcome(lambda: invoice.add_item("Tea", "", 1, 500))
        if direct:
            outcome(lambda: invoice.pay_without_redirection(*pay))
        else:
            outcome(lambda: invoice.pay_with_redirection(*pay))


@FUZZ
@given(
    args=st.tuples(anything, anything, anything),
    send=st.tuples(anything, anything, anything, anything),
)
def test_withdrawals_succeed_or_raise_ligdicash_errors(
    server: FakeLigdicash, args: tuple[Any, ...], send: tuple[Any, ...]
) -> None:
    with client_for(server) as client:
        try:
            withdrawal = client.Withdrawal(*args)
        except ligdicash.LigdicashError:
            return
        outcome(lambda: withdrawal.send(*send))


@FUZZ
@given(token=anything, kind=anything)
def test_status_checks_succeed_or_raise_ligdicash_errors(
    server: FakeLigdicash, token: Any, kind: Any
) -> None:
    with client_for(server) as client:
        outcome(lambda: client.get_transaction(token, kind))
    ligdicash.api_key = server.api_key
    ligdicash.auth_token = server.auth_token
    ligdicash.base_url = server.base_url
    outcome(lambda: ligdicash.get_transaction(token, kind))


SETTING_NAMES = [s.name for s in ligdicash._config.SETTINGS]


@FUZZ
@given(values=st.dictionaries(st.sampled_from(SETTING_NAMES), anything, max_size=4))
def test_client_settings_are_accepted_or_configuration_errors(values: dict[str, Any]) -> None:
    settings = {"api_key": "k", "auth_token": "t", **values}

    def build_sync() -> None:
        ligdicash.Client(**settings).close()

    async def build_async() -> None:
        await ligdicash.AsyncClient(**settings).aclose()

    outcome(build_sync)
    outcome(lambda: asyncio.run(build_async()))


content_types = st.one_of(
    texts,
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/json; charset=punycode",
            "application/json; charset=utf-16",
            "application/x-www-form-urlencoded; charset=idna",
            "text/plain; charset=base64",
        ]
    ),
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.text(any_char, max_size=50).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b'{"token": "t", "status": "completed"}', b"a[b][c]=1&a[b]=2", b"[[[[[["]),
)


@FUZZ
@given(body=st.one_of(bodies, anything), content_type=st.one_of(content_types, anything))
def test_parse_callback_returns_a_callback_or_raises_a_ligdicash_error(
    body: Any, content_type: Any
) -> None:
    outcome(lambda: ligdicash.parse_callback(body, content_type))
