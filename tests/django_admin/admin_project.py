"""A small Django project with the admin and the ``ligdicash`` app, for the admin tests.

Django is configured once per process and other test modules configure it their own way,
so the admin tests run in a child pytest (``test_django_admin_child.py``) that sets
``LIGDICASH_TEST_DJANGO_ADMIN`` to the database to use (``sqlite`` or ``postgresql``);
``conftest.py`` then calls :func:`configure`. The benchmark
``benchmarks/django_admin_lists.py`` uses it too.
"""

from __future__ import annotations

import socketserver
import sys
import types
from typing import Any, Callable
from urllib.parse import urlsplit

PASSWORD = "admin-tests-only"


def databases(db: str, *, sqlite_path: str, pg_url: str, pg_name: str) -> dict[str, Any]:
    if db == "sqlite":
        return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path}}
    parts = urlsplit(pg_url)
    return {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": pg_name,
            "USER": parts.username or "postgres",
            "PASSWORD": parts.password or "",
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
        }
    }


def configure(database: dict[str, Any], **extra: Any) -> None:
    """Configure Django (admin, auth, sessions, messages, i18n en/fr) and migrate."""
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.urls import path

    urls = types.ModuleType("ligdicash_admin_test_urls")
    sys.modules[urls.__name__] = urls
    settings.configure(
        DEBUG=False,
        SECRET_KEY="admin-tests-only",
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "ligdicash.contrib.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES=database,
        ROOT_URLCONF=urls.__name__,
        STATIC_URL="/static/",
        LANGUAGE_CODE="en",
        LANGUAGES=[("en", "English"), ("fr", "Français")],
        USE_I18N=True,
        USE_TZ=True,
        TIME_ZONE="Africa/Ouagadougou",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        **extra,
    )
    django.setup()
    from django.contrib import admin

    urls.urlpatterns = [path("admin/", admin.site.urls)]  # type: ignore[attr-defined]
    call_command("migrate", verbosity=0)


def serve() -> tuple[str, Callable[[], None]]:
    """Serve the project (and the admin's static files) on 127.0.0.1 in a thread: its base
    URL and a function that stops it. For the browser test and the screenshots."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Threaded(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server(
        "127.0.0.1",
        0,
        StaticFilesHandler(get_wsgi_application()),
        server_class=Threaded,
        handler_class=Quiet,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


def fill_payments(count: int, *, now: float, batch: int = 5000) -> None:
    """``count`` tracked payments, a fifth of them settled, half of them payouts."""
    from ligdicash.contrib.django.models import TrackedPayment

    statuses = ("pending", "pending", "completed", "pending", "cancelled")
    rows = []
    for n in range(count):
        rows.append(
            TrackedPayment(
                reference=f"order-{n:07d}",
                kind="client_payout" if n % 2 else "payin",
                amount=1000 + n,
                token=f"tok{n:07d}-secret-middle-part-{n:07d}",
                status=statuses[n % len(statuses)],
                created_at=now - count + n,
                updated_at=now - count + n,
                next_poll_at=now + 60,
                poll_attempts=n % 7,
                owner="",
                lease_until=0.0,
                note="",
            )
        )
        if len(rows) >= batch:
            TrackedPayment.objects.bulk_create(rows)
            rows = []
    TrackedPayment.objects.bulk_create(rows)


def fill_inbox(count: int, *, now: float, batch: int = 5000) -> None:
    """``count`` inbox entries: mostly done, some pending, some that gave up."""
    import hashlib

    from ligdicash.contrib.django.models import InboxMessage

    rows = []
    for n in range(count):
        state, outcome = ("done", "processed")
        if n % 10 == 0:
            state, outcome = ("pending", "")
        elif n % 10 == 1:
            outcome = "gave_up:failed:status_call_error"
        rows.append(
            InboxMessage(
                digest=hashlib.sha256(str(n).encode()).hexdigest(),
                body=b'{"status": "completed"}',
                content_type="application/json",
                received_at=now - count + n,
                state=state,
                owner="",
                lease_until=0.0,
                attempts=1,
                deliveries=1,
                outcome=outcome,
                updated_at=now,
            )
        )
        if len(rows) >= batch:
            InboxMessage.objects.bulk_create(rows)
            rows = []
    InboxMessage.objects.bulk_create(rows)
