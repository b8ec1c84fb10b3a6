"""The admin's needs: its two actions' permissions, readable names, and the indexes its
lists sort and filter by (newest first, by status or kind). No column changes: the tables
stay layout version 1 (``ligdicash._stores.SCHEMA_VERSION``)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models  # type: ignore[import-untyped,unused-ignore]


class Migration(migrations.Migration):  # type: ignore[misc,unused-ignore]
    dependencies: list[Any] = [
        ("ligdicash", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="idempotencykey",
            options={
                "verbose_name": "idempotency claim",
                "verbose_name_plural": "idempotency claims",
            },
        ),
        migrations.AlterModelOptions(
            name="inboxmessage",
            options={
                "permissions": [("retry_inboxmessage", "Can retry a callback that gave up")],
                "verbose_name": "callback inbox entry",
                "verbose_name_plural": "callback inbox",
            },
        ),
        migrations.AlterModelOptions(
            name="trackedpayment",
            options={
                "permissions": [
                    ("reconcile_trackedpayment", "Can make payments due for reconciling")
                ],
                "verbose_name": "tracked payment",
                "verbose_name_plural": "tracked payments",
            },
        ),
        migrations.AddIndex(
            model_name="inboxmessage",
            index=models.Index(fields=["received_at"], name="ligdicash_dj_inbox_received"),
        ),
        migrations.AddIndex(
            model_name="trackedpayment",
            index=models.Index(fields=["created_at"], name="ligdicash_dj_payments_created"),
        ),
        migrations.AddIndex(
            model_name="trackedpayment",
            index=models.Index(
                fields=["status", "created_at"], name="ligdicash_dj_payments_status"
            ),
        ),
        migrations.AddIndex(
            model_name="trackedpayment",
            index=models.Index(fields=["kind", "created_at"], name="ligdicash_dj_payments_kind"),
        ),
        # Labels only (verbose_name): no SQL.
        migrations.AlterField(
            model_name="idempotencykey",
            name="attempts",
            field=models.IntegerField(default=1, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="key",
            field=models.CharField(
                max_length=512, primary_key=True, serialize=False, verbose_name="key"
            ),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="lease_until",
            field=models.FloatField(verbose_name="lease until"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="note",
            field=models.TextField(default="", verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="owner",
            field=models.CharField(max_length=64, verbose_name="owner"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="state",
            field=models.CharField(max_length=16, verbose_name="state"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="updated_at",
            field=models.FloatField(verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="attempts",
            field=models.IntegerField(verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="body",
            field=models.BinaryField(verbose_name="body"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="content_type",
            field=models.CharField(max_length=255, verbose_name="content type"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="deliveries",
            field=models.IntegerField(verbose_name="deliveries"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="digest",
            field=models.CharField(
                max_length=64, primary_key=True, serialize=False, verbose_name="digest"
            ),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="lease_until",
            field=models.FloatField(verbose_name="lease until"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="outcome",
            field=models.TextField(verbose_name="outcome"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="owner",
            field=models.CharField(max_length=64, verbose_name="owner"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="received_at",
            field=models.FloatField(verbose_name="received at"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="state",
            field=models.CharField(max_length=16, verbose_name="state"),
        ),
        migrations.AlterField(
            model_name="inboxmessage",
            name="updated_at",
            field=models.FloatField(verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="amount",
            field=models.BigIntegerField(verbose_name="amount"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="created_at",
            field=models.FloatField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="kind",
            field=models.CharField(max_length=32, verbose_name="kind"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="lease_until",
            field=models.FloatField(verbose_name="lease until"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="next_poll_at",
            field=models.FloatField(verbose_name="next poll at"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="note",
            field=models.TextField(verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="owner",
            field=models.CharField(max_length=64, verbose_name="owner"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="poll_attempts",
            field=models.IntegerField(verbose_name="poll attempts"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="reference",
            field=models.CharField(
                max_length=512, primary_key=True, serialize=False, verbose_name="reference"
            ),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="status",
            field=models.CharField(max_length=64, verbose_name="status"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="token",
            field=models.TextField(null=True, verbose_name="token"),
        ),
        migrations.AlterField(
            model_name="trackedpayment",
            name="updated_at",
            field=models.FloatField(verbose_name="updated at"),
        ),
    ]
