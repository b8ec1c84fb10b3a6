"""The two functions ``LIGDICASH_CALLBACK_LOOKUP`` and ``LIGDICASH_CALLBACK_HANDLER`` name."""

from __future__ import annotations

from typing import Optional

import ligdicash
from ligdicash.contrib import ExpectedTransaction

from .models import Order


def find_order(callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
    """What we stored at creation, found by our own id (custom_data["transaction_id"])."""
    order = Order.objects.filter(order_id=callback.order_id).first()
    if order is None:
        return None  # not one of ours: refused, nothing runs
    return ExpectedTransaction(
        token=order.ligdicash_token, amount=order.amount, transaction_id=order.order_id
    )


def deliver_order(transaction: ligdicash.Transaction) -> None:
    """Run once per confirmed payment (status, amount and custom_data checked)."""
    order_id = transaction.custom_data["transaction_id"]
    Order.objects.filter(order_id=order_id, status=Order.PENDING).update(status=Order.PAID)
    # ...ship the goods, send the receipt...


def cancel_order(transaction: ligdicash.Transaction) -> None:
    """Run once per confirmed failed or cancelled payment."""
    order_id = transaction.custom_data["transaction_id"]
    Order.objects.filter(order_id=order_id, status=Order.PENDING).update(status=Order.CANCELLED)
