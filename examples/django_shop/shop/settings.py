"""Settings of the Django example shop (``pip install 'ligdicash[django]'``).

Against the local sandbox::

    ligdicash sandbox                     # note its base URL and credentials
    export LIGDICASH_BASE_URL=http://127.0.0.1:8765/pay/v01/
    export LIGDICASH_API_KEY=... LIGDICASH_AUTH_TOKEN=...
    python examples/django_shop/manage.py migrate
    python examples/django_shop/manage.py runserver 8000
    curl -X POST localhost:8000/orders/ -d amount=31500        # -> order_id, payment_url
    python examples/django_shop/manage.py reconcile_payments    # the polling fallback (cron)
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", ".example.com"]

# "ligdicash.contrib.django": claims, the callback inbox and the payment registry in this
# project's database (then `migrate`); the handler runs in one transaction with "done".
INSTALLED_APPS = ["django.contrib.contenttypes", "ligdicash.contrib.django", "orders"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "shop.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB", BASE_DIR / "shop.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# -- LigdiCash -------------------------------------------------------------------------------
# Credentials: these settings, or the LIGDICASH_* environment variables when unset.
LIGDICASH_API_KEY = os.environ.get("LIGDICASH_API_KEY")
LIGDICASH_AUTH_TOKEN = os.environ.get("LIGDICASH_AUTH_TOKEN")
LIGDICASH_BASE_URL = os.environ.get("LIGDICASH_BASE_URL")
# callback -> ExpectedTransaction | None, and the handler run once per confirmed payment.
LIGDICASH_CALLBACK_LOOKUP = "orders.payments.find_order"
LIGDICASH_CALLBACK_HANDLER = "orders.payments.deliver_order"
LIGDICASH_CALLBACK_ON_CANCELLED = "orders.payments.cancel_order"
LIGDICASH_IDEMPOTENCY_DB = os.environ.get(
    "LIGDICASH_IDEMPOTENCY_DB", str(BASE_DIR / "ligdicash-callbacks.sqlite3")
)
