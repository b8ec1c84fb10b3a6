"""URLs of the Django example shop."""

from __future__ import annotations

from django.urls import include, path
from orders import views

urlpatterns = [
    path("orders/", views.create_order, name="create-order"),
    path("orders/<str:order_id>/", views.show_order, name="show-order"),
    # POST /ligdicash/callback/ (named "ligdicash:callback")
    path("ligdicash/", include("ligdicash.contrib.django.urls")),
]
