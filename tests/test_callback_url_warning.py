"""A creation without ``callback_url`` (documented as required) warns once, never silently."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash
from ligdicash import _warnings


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    _warnings._reset_warnings()
    yield
    _warnings._reset_warnings()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def no_callback_warning(call: Callable[[], Any]) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    assert [w for w in seen if issubclass(w.category, ligdicash.MissingCallbackUrlWarning)] == []


def invoice(client: ligdicash.Client) -> ligdicash.Invoice:
    created = client.Invoice(description="Order #1")
    created.add_item("Shirt", "", 1, 5000)
    return created


def test_a_hosted_payin_without_callback_url_warns_at_the_callers_line(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    with pytest.warns(ligdicash.MissingCallbackUrlWarning, match="without callback_url") as seen:
        invoice(client).pay_with_redirection(return_url="https://shop.example/ok")
    assert len(fake.requests) == 1, "the payin is still sent"
    assert seen[0].filename == __file__
    assert issubclass(seen[0].category, ligdicash.LigdicashWarning)


def test_it_warns_once_per_process_for_payins_and_once_for_payouts(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    with pytest.warns(ligdicash.MissingCallbackUrlWarning):
        invoice(client).pay_without_redirection(otp="123456", customer="22670123456")
    no_callback_warning(lambda: invoice(client).pay_with_redirection())
    with pytest.warns(ligdicash.MissingCallbackUrlWarning, match="payout") as seen:
        client.Withdrawal("Refund", 5000, "22670123456").send(type="merchant")
    assert seen[0].filename == __file__
    no_callback_warning(lambda: client.Withdrawal("Refund", 500, "22670123456").send())
    assert len(fake.requests) == 4


def test_a_creation_with_a_callback_url_does_not_warn(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    url = "https://shop.example/ligdicash/callback"
    no_callback_warning(lambda: invoice(client).pay_with_redirection(callback_url=url))
    no_callback_warning(
        lambda: client.Withdrawal("r", 500, "22670123456").send(type="merchant", callback_url=url)
    )
    # A blank one is no callback URL either.
    with pytest.warns(ligdicash.MissingCallbackUrlWarning):
        invoice(client).pay_with_redirection(callback_url="  ")


def test_refused_input_does_not_use_up_the_warning(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    empty = client.Invoice(description="no items")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ligdicash.InvalidRequestError):
            empty.pay_with_redirection()
    assert seen == []
    assert fake.requests == []
    with pytest.warns(ligdicash.MissingCallbackUrlWarning):
        invoice(client).pay_with_redirection()


def test_the_warning_can_be_made_an_error_by_class(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ligdicash.LigdicashWarning)
        with pytest.raises(ligdicash.MissingCallbackUrlWarning):
            invoice(client).pay_with_redirection()
    assert fake.requests == []


@pytest.mark.anyio
async def test_the_async_client_warns_at_the_callers_line(fake: FakeLigdicash) -> None:
    async with ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as client:
        created = client.Invoice(description="x")
        created.add_item("a", "", 1, 100)
        with pytest.warns(ligdicash.MissingCallbackUrlWarning) as seen:
            await created.pay_with_redirection()
        assert seen[0].filename == __file__
        with pytest.warns(ligdicash.MissingCallbackUrlWarning, match="payout"):
            await client.Withdrawal("r", 500, "22670123456").send(type="merchant")
