"""``manage.py reconcile_payments``: the polling fallback for callbacks that never came."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ligdicash.contrib import ExpectedTransaction
from ligdicash.contrib.django import get_processor
from orders.models import Order


class Command(BaseCommand):
    help = "Check the status of every pending order and process the final ones once."

    def handle(self, *args: Any, **options: Any) -> None:
        processor = get_processor()  # same lookup, handler and idempotency store as the view
        for order in Order.objects.filter(status=Order.PENDING):
            expected = ExpectedTransaction(
                token=order.ligdicash_token, amount=order.amount, transaction_id=order.order_id
            )
            result = processor.reconcile(expected)
            self.stdout.write(f"{order.order_id}: {result.outcome}")
