"""Hostile input gets a LigdicashError subclass before anything is sent (or hooked).

Huge numbers are refused from their size, without arithmetic; lone surrogates, giant tokens,
deep ``custom_data`` and wrong types never escape as ``UnicodeEncodeError``,
``httpx.InvalidURL``, ``RecursionError``, ``TypeError`` or a plain ``ValueError``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash

HUGE_AMOUNTS = [
    Decimal("1E+1000000"),
    Decimal("1E+10000000"),
    Decimal("-1E+10000000"),
    Decimal("1E+5000"),
    10**5000,
    -(10**5000),
    1e300,
    Decimal("1E-1000000"),
    Decimal("9" * 5000),
]


@pytest.mark.parametrize("amount", HUGE_AMOUNTS, ids=lambda a: type(a).__name__)
def test_huge_unit_prices_and_payout_amounts_are_refused_at_once(amount: Any) -> None:
    invoice = ligdicash.Invoice(description="x")
    with pytest.raises(ligdicash.InvalidAmountError):
        invoice.add_item(name="a", description="b", quantity=1, unit_price=amount)
    with pytest.raises(ligdicash.InvalidAmountError):
        ligdicash.Withdrawal("r", amount, "22670123456")
    with pytest.raises(ligdicash.InvalidAmountError):
        ligdicash.InvoiceItem("a", "b", 1, amount)


def test_a_zero_with_a_huge_exponent_is_zero() -> None:
    item = ligdicash.InvoiceItem("a", "b", 1, Decimal("0E+1000000"))  # type: ignore[arg-type]
    assert item.unit_price == 0


@pytest.mark.parametrize("quantity", [10**5000, 2**64, -(10**5000)], ids=["big", "2^64", "-big"])
def test_huge_quantities_are_refused(quantity: int) -> None:
    invoice = ligdicash.Invoice(description="x")
    with pytest.raises(ligdicash.InvalidRequestError):
        invoice.add_item(name="a", description="b", quantity=quantity, unit_price=100)


SURROGATE = "\ud800"


def _pay(client: ligdicash.Client, **overrides: Any) -> None:
    invoice = client.Invoice(
        description=overrides.pop("description", "Order"),
        store_name=overrides.pop("store_name", "Shop"),
    )
    invoice.add_item(
        name=overrides.pop("item_name", "Tea"),
        description=overrides.pop("item_description", ""),
        quantity=1,
        unit_price=500,
    )
    if "otp" in overrides:
        invoice.pay_without_redirection(
            otp=overrides.pop("otp"), customer="22670123456", **overrides
        )
    else:
        invoice.pay_with_redirection(**overrides)


SURROGATE_CASES: dict[str, Callable[[ligdicash.Client], None]] = {
    "description": lambda c: _pay(c, description=SURROGATE),
    "store_name": lambda c: _pay(c, store_name="a" + SURROGATE),
    "item name": lambda c: _pay(c, item_name=SURROGATE),
    "item description": lambda c: _pay(c, item_description=SURROGATE),
    "custom_data value": lambda c: _pay(c, custom_data={"k": SURROGATE}),
    "custom_data key": lambda c: _pay(c, custom_data={SURROGATE: 1}),
    "callback_url": lambda c: _pay(c, callback_url="https://x/" + SURROGATE),
    "return_url": lambda c: _pay(c, return_url=SURROGATE),
    "otp": lambda c: _pay(c, otp="12" + SURROGATE),
    "customer": lambda c: _pay(c, customer="226" + SURROGATE),
    "payout description": lambda c: c.Withdrawal(SURROGATE, 5000, "22670123456").send(),
    "payout custom_data": lambda c: c.Withdrawal("r", 5000, "22670123456").send(
        custom_data={"k": [SURROGATE]}
    ),
    "token": lambda c: c.get_transaction("tok" + SURROGATE),
}


@pytest.mark.parametrize("case", list(SURROGATE_CASES))
def test_a_lone_surrogate_anywhere_is_refused_before_on_request(
    fake: FakeLigdicash, case: str
) -> None:
    hooked: list[ligdicash.RequestRecord] = []
    with ligdicash.Client(
        api_key=fake.api_key,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        on_request=hooked.append,
    ) as c:
        with pytest.raises(ligdicash.InvalidRequestError):
            SURROGATE_CASES[case](c)
    assert hooked == []
    assert fake.requests == []


@pytest.mark.parametrize(
    "token",
    ["t" * 2_000_000, "a" * 5000, "tok en", "tok\nen", "tok\x00", "\u200btok\u2028"],
    ids=["2MB", "5000", "space", "newline", "nul", "separators"],
)
def test_oversized_or_malformed_tokens_are_invalid_token_errors(
    client: ligdicash.Client, fake: FakeLigdicash, token: str
) -> None:
    with pytest.raises(ligdicash.InvalidTokenError):
        client.get_transaction(token)
    with pytest.raises(ligdicash.InvalidTokenError):
        ligdicash.get_transaction(token)
    assert fake.requests == []


def test_a_real_length_token_is_accepted(client: ligdicash.Client) -> None:
    token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9." + "x" * 1000 + ".sig"
    assert client.get_transaction(token).is_completed


def _nested(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(depth):
        data = {"k": data}
    return data


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_custom_data_is_refused(
    client: ligdicash.Client, fake: FakeLigdicash, depth: int
) -> None:
    with pytest.raises(ligdicash.InvalidRequestError, match="nested"):
        _pay(client, custom_data=_nested(depth))
    assert fake.requests == []


def test_self_referencing_custom_data_is_refused(client: ligdicash.Client) -> None:
    data: dict[str, Any] = {"transaction_id": "ORD-1"}
    data["self"] = data
    with pytest.raises(ligdicash.InvalidRequestError):
        _pay(client, custom_data=data)


def test_reasonably_nested_custom_data_is_sent(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    _pay(client, custom_data={"order": {"lines": [{"sku": "A", "tags": ["x"]}]}})
    assert fake.requests[0].json["commande"]["custom_data"]["order"]["lines"][0]["sku"] == "A"


def test_a_giant_int_in_custom_data_is_refused(client: ligdicash.Client) -> None:
    with pytest.raises(ligdicash.InvalidRequestError):
        _pay(client, custom_data={"n": 10**5000})


WRONG_TYPES: dict[str, Callable[[ligdicash.Client], Any]] = {
    "transaction type list": lambda c: c.get_transaction("tok", []),  # type: ignore[arg-type]
    "module transaction type": lambda c: ligdicash.get_transaction("tok", {}),  # type: ignore[arg-type]
    "token int": lambda c: c.get_transaction(123),  # type: ignore[arg-type]
    "description bytes": lambda c: c.Invoice(description=b"x"),
    "otp int": lambda c: _pay(c, otp=123456),
    "custom_data list": lambda c: _pay(c, custom_data=[1]),
    "payout type dict": lambda c: c.Withdrawal("r", 5000, "22670123456").send(type={}),
    "customer int": lambda c: c.Withdrawal("r", 5000, 22670123456),
    "quantity str": lambda c: c.Invoice().add_item("a", "b", "2", 100),
    "unit_price str": lambda c: c.Invoice().add_item("a", "b", 1, "100"),
}


@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_wrong_types_are_ligdicash_errors(
    client: ligdicash.Client, fake: FakeLigdicash, case: str
) -> None:
    with pytest.raises(ligdicash.LigdicashError):
        WRONG_TYPES[case](client)
    assert fake.requests == []


def test_arabic_indic_digits_are_not_a_phone_number() -> None:
    with pytest.raises(ligdicash.InvalidRequestError):
        ligdicash.Withdrawal("r", 5000, "\u0662\u0662\u0666" * 4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": float("nan")},
        {"timeout": float("inf")},
        {"timeout": 10**400},
        {"platform": ["live"]},
        {"base_url": "https://x/" + SURROGATE},
        {"base_url": "https://example.com:99999/"},
        {"base_url": "https://exa mple.com/"},
        {"base_url": "https://" + "a" * 5000 + ".com/"},
        {"base_url": 123},
        {"on_request": "not callable"},
        {"api_key": 123},
        {"api_key": SURROGATE},
    ],
)
def test_bad_client_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    settings = {"api_key": "k", "auth_token": "t", **kwargs}
    with pytest.raises(ligdicash.ConfigurationError):
        ligdicash.Client(**settings)
