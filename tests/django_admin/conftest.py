"""The admin tests' Django project, configured at import in the child pytest only.

In the suite's own process, only ``test_django_admin_child.py`` is collected here: it runs
this folder again in a child process with ``LIGDICASH_TEST_DJANGO_ADMIN`` set (Django is
configured once per process, and other modules configure it their own way).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

DB = os.environ.get("LIGDICASH_TEST_DJANGO_ADMIN", "")

if DB:
    collect_ignore = ["test_django_admin_child.py", "test_django_admin_pictures.py"]
    from admin_project import configure, databases

    _pg_name = f"ligdicash_admin_{secrets.token_hex(4)}"
    _pg_url = os.environ.get(
        "LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    if DB == "postgresql":
        import psycopg

        with psycopg.connect(_pg_url, autocommit=True) as _conn:
            _conn.execute(f'CREATE DATABASE "{_pg_name}"')
    configure(
        databases(
            DB,
            sqlite_path=os.environ["LIGDICASH_TEST_DJANGO_ADMIN_SQLITE"],
            pg_url=_pg_url,
            pg_name=_pg_name,
        )
    )
else:
    collect_ignore_glob = ["test_admin_*.py"]


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_database() -> Iterator[None]:
    yield
    if DB == "postgresql":
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(_pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _empty_tables() -> Iterator[None]:
    """Every test starts with no rows, no users and no history."""
    yield
    if not DB:
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User

    from ligdicash.contrib.django.models import IdempotencyKey, InboxMessage, TrackedPayment

    for model in (LogEntry, User, IdempotencyKey, InboxMessage, TrackedPayment):
        model.objects.all().delete()


@pytest.fixture
def staff() -> Any:
    """A staff user who may view the three tables, without the actions' permissions."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("viewer", password="viewer-tests-only", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="ligdicash", codename__startswith="view_"
        )
    )
    return user


@pytest.fixture
def operator() -> Any:
    """A staff user with the view permissions and both actions' permissions."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("operator", password="operator-tests-only", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="ligdicash").exclude(
            codename__regex=r"^(add|change|delete)_"
        )
    )
    return user
