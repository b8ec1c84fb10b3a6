"""Helpers for the reconciliation tests: creating sandbox payments with or without callbacks."""

from __future__ import annotations

from typing import Any

import ligdicash


def custom(reference: str, *, callbacks: bool = False) -> dict[str, Any]:
    """custom_data with this reference; the sandbox sends no callback unless asked."""
    data: dict[str, Any] = {"transaction_id": reference}
    if not callbacks:
        data["sandbox_callback"] = "none"
    return data


def invoice(client: Any, amount: int = 15000) -> Any:
    inv = client.Invoice(currency="xof", description="Order", store_name="Shop")
    inv.add_item(name="Shirt", description="M", quantity=1, unit_price=amount)
    return inv


def pay(client: ligdicash.Client, reference: str, amount: int = 15000) -> str:
    """Create a hosted payin (no callback) and return its token."""
    response = invoice(client, amount).pay_with_redirection(
        return_url="http://127.0.0.1:9/ok",
        cancel_url="http://127.0.0.1:9/cancel",
        custom_data=custom(reference),
    )
    return str(response.token)
