"""Creating an order (and its LigdiCash payment) and showing its status."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import ligdicash

from .models import Order


@csrf_exempt  # an API endpoint for the example; keep CSRF on for browser forms
@require_POST
def create_order(request: HttpRequest) -> JsonResponse:
    amount = int(request.POST.get("amount", "0"))
    order_id = f"ORD-{uuid.uuid4().hex[:12]}"
    with ligdicash.Client() as client:  # LIGDICASH_* environment variables
        invoice = client.Invoice(description=f"Order {order_id}")
        invoice.add_item(name="Basket", description="", quantity=1, unit_price=amount)
        order_url = request.build_absolute_uri(reverse("show-order", args=[order_id]))
        response = invoice.pay_with_redirection(
            return_url=order_url,
            cancel_url=order_url,
            callback_url=request.build_absolute_uri(reverse("ligdicash:callback")),
            custom_data={"transaction_id": order_id},
        )
    Order.objects.create(order_id=order_id, amount=amount, ligdicash_token=response.token)
    return JsonResponse({"order_id": order_id, "payment_url": response.payment_url}, status=201)


@require_GET
def show_order(request: HttpRequest, order_id: str) -> JsonResponse:
    order = Order.objects.filter(order_id=order_id).first()
    if order is None:
        raise Http404
    return JsonResponse({"order_id": order_id, "status": order.status})
