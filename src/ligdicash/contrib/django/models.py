"""The Django store's tables: claims, the callback inbox and the payment registry.

Add ``"ligdicash.contrib.django"`` to ``INSTALLED_APPS`` and run ``migrate``; then
``ligdicash.open_store("django://")`` (or ``django://<alias>``) keeps everything in the
project's own database. The layout is the one the other SQL stores use (times in seconds
since the epoch), and the store runs the same SQL on it through Django's connection
(``_store.py``); the models are there for ``migrate`` (their version is the app's latest
migration) and for reading the rows with the ORM (an admin).
"""

from __future__ import annotations

from django.db import models  # type: ignore[import-untyped,unused-ignore]


class IdempotencyKey(models.Model):  # type: ignore[misc,unused-ignore]
    """One event key's claim: ``processing`` under a lease, ``done``, or released."""

    key = models.CharField(max_length=512, primary_key=True)
    state = models.CharField(max_length=16)
    owner = models.CharField(max_length=64)
    lease_until = models.FloatField()
    attempts = models.IntegerField(default=1)
    note = models.TextField(default="")
    updated_at = models.FloatField()

    class Meta:
        db_table = "ligdicash_django_idempotency"


class InboxMessage(models.Model):  # type: ignore[misc,unused-ignore]
    """A received callback, kept before answering 200 (key: the body's digest)."""

    digest = models.CharField(max_length=64, primary_key=True)
    body = models.BinaryField()
    content_type = models.CharField(max_length=255)
    received_at = models.FloatField()
    state = models.CharField(max_length=16)
    owner = models.CharField(max_length=64)
    lease_until = models.FloatField()
    attempts = models.IntegerField()
    deliveries = models.IntegerField()
    outcome = models.TextField()
    updated_at = models.FloatField()

    class Meta:
        db_table = "ligdicash_django_inbox"
        indexes = [models.Index(fields=["state", "received_at"], name="ligdicash_dj_inbox_ready")]


class TrackedPayment(models.Model):  # type: ignore[misc,unused-ignore]
    """A payment the client created, polled by the reconciler until it settles."""

    reference = models.CharField(max_length=512, primary_key=True)
    kind = models.CharField(max_length=32)
    amount = models.BigIntegerField()
    token = models.TextField(null=True)
    status = models.CharField(max_length=64)
    created_at = models.FloatField()
    updated_at = models.FloatField()
    next_poll_at = models.FloatField()
    poll_attempts = models.IntegerField()
    owner = models.CharField(max_length=64)
    lease_until = models.FloatField()
    note = models.TextField()

    class Meta:
        db_table = "ligdicash_django_payments"
        indexes = [
            models.Index(fields=["status", "next_poll_at"], name="ligdicash_dj_payments_due")
        ]
