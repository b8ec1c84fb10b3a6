"""The Django app behind ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` (label
``ligdicash``): its models are the Django ORM store's tables (``python manage.py migrate``);
once Django is set up, ``ligdicash.open_store("django://<alias>")`` opens that store."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig  # type: ignore[import-untyped,unused-ignore]


def _open_django_store(url: str, **options: Any) -> Any:
    """The opener of ``django://`` and ``django://<alias>`` (default alias: ``default``)."""
    from urllib.parse import urlsplit

    from ._store import DjangoStore

    return DjangoStore(urlsplit(url).netloc or "default", **options)


class LigdicashConfig(AppConfig):  # type: ignore[misc,unused-ignore]
    """The ``ligdicash`` app: the store's models and migrations."""

    name = "ligdicash.contrib.django"
    label = "ligdicash"
    verbose_name = "LigdiCash"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The store registry lives below this layer and never imports it: the app adds
        # its scheme when Django loads it.
        from ..._stores._open import register_scheme

        register_scheme("store", ("django",), _open_django_store, example="django://")
