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
from django.utils.translation import gettext_lazy as _  # type: ignore[import-untyped,unused-ignore]


class IdempotencyKey(models.Model):  # type: ignore[misc,unused-ignore]
    """One event key's claim: ``processing`` under a lease, ``done``, or released."""

    key = models.CharField(_("key"), max_length=512, primary_key=True)
    state = models.CharField(_("state"), max_length=16)
    owner = models.CharField(_("owner"), max_length=64)
    lease_until = models.FloatField(_("lease until"))
    attempts = models.IntegerField(_("attempts"), default=1)
    note = models.TextField(_("note"), default="")
    updated_at = models.FloatField(_("updated at"))

    class Meta:
        db_table = "ligdicash_django_idempotency"
        verbose_name = _("idempotency claim")
        verbose_name_plural = _("idempotency claims")

    def __str__(self) -> str:
        return str(self.key)


class InboxMessage(models.Model):  # type: ignore[misc,unused-ignore]
    """A received callback, kept before answering 200 (key: the body's digest)."""

    digest = models.CharField(_("digest"), max_length=64, primary_key=True)
    body = models.BinaryField(_("body"))
    content_type = models.CharField(_("content type"), max_length=255)
    received_at = models.FloatField(_("received at"))
    state = models.CharField(_("state"), max_length=16)
    owner = models.CharField(_("owner"), max_length=64)
    lease_until = models.FloatField(_("lease until"))
    attempts = models.IntegerField(_("attempts"))
    deliveries = models.IntegerField(_("deliveries"))
    outcome = models.TextField(_("outcome"))
    updated_at = models.FloatField(_("updated at"))

    class Meta:
        db_table = "ligdicash_django_inbox"
        indexes = [
            models.Index(fields=["state", "received_at"], name="ligdicash_dj_inbox_ready"),
            # The admin's list, newest first.
            models.Index(fields=["received_at"], name="ligdicash_dj_inbox_received"),
        ]
        verbose_name = _("callback inbox entry")
        verbose_name_plural = _("callback inbox")
        # The admin's "retry" action (``admin.py``).
        permissions = [("retry_inboxmessage", _("Can retry a callback that gave up"))]

    def __str__(self) -> str:
        return str(self.digest)[:16]


class TrackedPayment(models.Model):  # type: ignore[misc,unused-ignore]
    """A payment the client created, polled by the reconciler until it settles."""

    reference = models.CharField(_("reference"), max_length=512, primary_key=True)
    kind = models.CharField(_("kind"), max_length=32)
    amount = models.BigIntegerField(_("amount"))
    token = models.TextField(_("token"), null=True)
    status = models.CharField(_("status"), max_length=64)
    created_at = models.FloatField(_("created at"))
    updated_at = models.FloatField(_("updated at"))
    next_poll_at = models.FloatField(_("next poll at"))
    poll_attempts = models.IntegerField(_("poll attempts"))
    owner = models.CharField(_("owner"), max_length=64)
    lease_until = models.FloatField(_("lease until"))
    note = models.TextField(_("note"))

    class Meta:
        db_table = "ligdicash_django_payments"
        indexes = [
            models.Index(fields=["status", "next_poll_at"], name="ligdicash_dj_payments_due"),
            # The admin's list, newest first: whole, filtered by status or by kind.
            models.Index(fields=["created_at"], name="ligdicash_dj_payments_created"),
            models.Index(fields=["status", "created_at"], name="ligdicash_dj_payments_status"),
            models.Index(fields=["kind", "created_at"], name="ligdicash_dj_payments_kind"),
        ]
        verbose_name = _("tracked payment")
        verbose_name_plural = _("tracked payments")
        # The admin's "reconcile now" action (``admin.py``).
        permissions = [("reconcile_trackedpayment", _("Can make payments due for reconciling"))]

    def __str__(self) -> str:
        return str(self.reference)
