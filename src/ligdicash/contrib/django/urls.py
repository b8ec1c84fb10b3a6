"""``path("ligdicash/", include("ligdicash.contrib.django.urls"))`` → ``POST .../callback/``.

The URL is named ``ligdicash:callback``: build your ``callback_url`` with
``request.build_absolute_uri(reverse("ligdicash:callback"))``.
"""

from __future__ import annotations

from django.urls import path  # type: ignore[import-untyped,unused-ignore]

from . import callback_view

app_name = "ligdicash"

urlpatterns = [path("callback/", callback_view, name="callback")]
