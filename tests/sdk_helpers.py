"""Helpers shared by the SDK tests (a module of its own: two conftest.py files exist)."""

from __future__ import annotations

from typing import Any, Callable

import ligdicash


def documented_invoice(factory: Callable[..., Any]) -> Any:
    """The documented example invoice, built by ``factory`` (a class or a client factory)."""
    invoice = factory(
        currency="xof",
        description="Order #ORD-20240512",
        customer_firstname="Amadou",
        customer_lastname="Ouedraogo",
        customer_email="amadou@example.com",
        store_name="MySuperStore",
        store_website_url="https://mysuperstore.com",
    )
    invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
    invoice.add_item(name="Shipping fee", description="", quantity=1, unit_price=1500)
    return invoice


def make_invoice(client: ligdicash.Client | None = None) -> ligdicash.Invoice:
    """The documented example invoice, module-level or bound to ``client``."""
    invoice: ligdicash.Invoice = documented_invoice(
        client.Invoice if client is not None else ligdicash.Invoice
    )
    return invoice
