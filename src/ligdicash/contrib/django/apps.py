"""The Django app behind ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` (label
``ligdicash``): its models are the Django ORM store's tables (``python manage.py migrate``)."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped,unused-ignore]


class LigdicashConfig(AppConfig):  # type: ignore[misc,unused-ignore]
    """The ``ligdicash`` app: the store's models and migrations."""

    name = "ligdicash.contrib.django"
    label = "ligdicash"
    verbose_name = "LigdiCash"
    default_auto_field = "django.db.models.BigAutoField"
