"""The Django ORM store's tables, layout version 1 (``ligdicash._stores.SCHEMA_VERSION``)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models  # type: ignore[import-untyped,unused-ignore]


class Migration(migrations.Migration):  # type: ignore[misc,unused-ignore]
    initial = True

    dependencies: list[Any] = []

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("key", models.CharField(max_length=512, primary_key=True, serialize=False)),
                ("state", models.CharField(max_length=16)),
                ("owner", models.CharField(max_length=64)),
                ("lease_until", models.FloatField()),
                ("attempts", models.IntegerField(default=1)),
                ("note", models.TextField(default="")),
                ("updated_at", models.FloatField()),
            ],
            options={
                "db_table": "ligdicash_django_idempotency",
            },
        ),
        migrations.CreateModel(
            name="InboxMessage",
            fields=[
                ("digest", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("body", models.BinaryField()),
                ("content_type", models.CharField(max_length=255)),
                ("received_at", models.FloatField()),
                ("state", models.CharField(max_length=16)),
                ("owner", models.CharField(max_length=64)),
                ("lease_until", models.FloatField()),
                ("attempts", models.IntegerField()),
                ("deliveries", models.IntegerField()),
                ("outcome", models.TextField()),
                ("updated_at", models.FloatField()),
            ],
            options={
                "db_table": "ligdicash_django_inbox",
                "indexes": [
                    models.Index(fields=["state", "received_at"], name="ligdicash_dj_inbox_ready")
                ],
            },
        ),
        migrations.CreateModel(
            name="TrackedPayment",
            fields=[
                ("reference", models.CharField(max_length=512, primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=32)),
                ("amount", models.BigIntegerField()),
                ("token", models.TextField(null=True)),
                ("status", models.CharField(max_length=64)),
                ("created_at", models.FloatField()),
                ("updated_at", models.FloatField()),
                ("next_poll_at", models.FloatField()),
                ("poll_attempts", models.IntegerField()),
                ("owner", models.CharField(max_length=64)),
                ("lease_until", models.FloatField()),
                ("note", models.TextField()),
            ],
            options={
                "db_table": "ligdicash_django_payments",
                "indexes": [
                    models.Index(
                        fields=["status", "next_poll_at"], name="ligdicash_dj_payments_due"
                    )
                ],
            },
        ),
    ]
