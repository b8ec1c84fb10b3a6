"""Helpers for the sandbox tests: request bodies, create/confirm calls, waiting."""

from __future__ import annotations

import copy
import time
from typing import Any, Callable

import httpx
import pytest


def payin_body(**invoice_changes: Any) -> dict[str, Any]:
    """The contract's example hosted-payin body; ``invoice_changes`` patch ``invoice``."""
    body: dict[str, Any] = {
        "commande": {
            "invoice": {
                "items": [
                    {
                        "name": "Kente shirt",
                        "description": "Size M",
                        "quantity": 2,
                        "unit_price": 15000,
                        "total_price": 30000,
                    },
                    {
                        "name": "Shipping fee",
                        "description": "",
                        "quantity": 1,
                        "unit_price": 1500,
                        "total_price": 1500,
                    },
                ],
                "total_amount": 31500,
                "devise": "xof",
                "description": "Order #ORD-20240512",
                "customer": "",
                "customer_firstname": "Amadou",
                "customer_lastname": "Ouedraogo",
                "customer_email": "amadou@example.com",
                "external_id": "",
                "otp": "",
            },
            "store": {"name": "MySuperStore", "website_url": "https://mysuperstore.com"},
            "actions": {
                "cancel_url": "https://mysuperstore.com/order/cancel",
                "return_url": "https://mysuperstore.com/order/success",
                "callback_url": "",
            },
            "custom_data": {"transaction_id": "ORD-20240512"},
        }
    }
    body["commande"]["invoice"].update(invoice_changes)
    return body


def direct_body(customer: str, otp: str, callback_url: str = "", **custom: Any) -> dict[str, Any]:
    """A direct-payin body for ``customer`` with ``otp``."""
    body = payin_body(customer=customer, otp=otp)
    body["commande"]["actions"] = {"callback_url": callback_url}
    body["commande"]["custom_data"] = {"transaction_id": "ORD-DIRECT", **custom}
    return body


def payout_body(
    customer: str = "22670123456",
    amount: int = 5000,
    transaction_id: str | None = "REFUND-20240512",
    callback_url: str = "",
    client: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A client (``top_up_wallet``) or merchant payout body."""
    commande: dict[str, Any] = {
        "amount": amount,
        "description": "Refund for order ORD-20240510",
        "customer": customer,
        "custom_data": {} if transaction_id is None else {"transaction_id": transaction_id},
        "callback_url": callback_url,
    }
    if client:
        commande["top_up_wallet"] = 0
    commande.update(extra)
    return {"commande": commande}


def without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    """A deep copy of ``body`` with the key at ``path`` removed."""
    copied = copy.deepcopy(body)
    node = copied
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return copied


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)


def create(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a create call and return the JSON answer (always HTTP 200)."""
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def confirm(api: httpx.Client, kind: str, token: str) -> dict[str, Any]:
    """GET the status of ``token`` on the family's confirm endpoint."""
    path, param = {
        "payin": ("redirect/checkout-invoice/confirm/", "invoiceToken"),
        "client_payout": ("withdrawal/confirm/", "withdrawalToken"),
        "merchant_payout": ("straight/payout/confirm/", "payoutToken"),
    }[kind]
    response = api.get(path, params={param: token})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data
