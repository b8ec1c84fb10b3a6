"""Invoices and withdrawals get their client one way: the ``client=`` constructor argument.

``client.Invoice(...)`` passes itself; without a client the sync classes use the module
settings at request time (the documented drop-in) and the async ones say how to get one.
"""

from __future__ import annotations

import asyncio

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash


def other_client(fake: FakeLigdicash) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    )


def test_an_invoice_and_a_withdrawal_take_their_client_at_construction(
    configured: FakeLigdicash,
) -> None:
    ligdicash.api_key = "the-module-key-is-not-used"
    with other_client(configured) as c:
        invoice = ligdicash.Invoice(description="Order", client=c)
        invoice.add_item(name="Tea", description="", quantity=1, unit_price=500)
        assert invoice.pay_with_redirection().token
        assert ligdicash.Withdrawal("r", 5000, "22670123456", client=c).send().token
    assert [r.headers["apikey"] for r in configured.requests] == [configured.api_key] * 2


def test_the_factories_pass_every_argument_and_the_client(client: ligdicash.Client) -> None:
    invoice = client.Invoice(
        "xof", "Order", "A", "B", "a@b.c", "Shop", "https://s", external_id="E"
    )
    assert (invoice.description, invoice.store_website_url, invoice.external_id) == (
        "Order",
        "https://s",
        "E",
    )
    assert invoice._sending_client() is client
    withdrawal = client.Withdrawal("r", amount=5000, customer="22670123456")
    assert withdrawal._sending_client() is client
    with pytest.raises(TypeError):
        client.Invoice(client=client)  # the factory is the client's own


def test_a_module_level_invoice_follows_the_module_settings_at_each_request(
    configured: FakeLigdicash,
) -> None:
    invoice = ligdicash.Invoice(description="Order")
    invoice.add_item(name="Tea", description="", quantity=1, unit_price=500)
    invoice.pay_with_redirection()
    ligdicash.api_key = "changed"
    with pytest.raises(ligdicash.AuthenticationError):
        invoice.pay_with_redirection()
    assert [r.headers["apikey"] for r in configured.requests] == [configured.api_key, "changed"]


def test_async_resources_take_their_client_the_same_way(fake: FakeLigdicash) -> None:
    async def run() -> None:
        async with ligdicash.AsyncClient(
            api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
        ) as c:
            invoice = ligdicash.AsyncInvoice(description="Order", client=c)
            invoice.add_item(name="Tea", description="", quantity=1, unit_price=500)
            assert (await invoice.pay_with_redirection()).token
            payout = ligdicash.AsyncWithdrawal("r", 5000, "22670123456", client=c)
            assert (await payout.send()).token

    asyncio.run(run())
    assert len(fake.requests) == 2
