"""An order and what LigdiCash returned when its payment was created."""

from __future__ import annotations

from django.db import models


class Order(models.Model):
    PENDING, PAID, CANCELLED = "pending", "paid", "cancelled"

    order_id = models.CharField(max_length=40, unique=True)
    amount = models.PositiveIntegerField()
    #: The creation token, stored whole: the only way to confirm the payment later.
    ligdicash_token = models.TextField()
    status = models.CharField(max_length=10, default=PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
