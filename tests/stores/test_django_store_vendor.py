"""The Django store runs the SQL stores' statements, which PostgreSQL and SQLite run: on any
other database vendor its first operation is a ConfigurationError naming the alias and
the vendor, before any statement reaches the database."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["ligdicash.contrib.django"],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
            "elsewhere": {"ENGINE": "django.db.backends.dummy"},
        },
    )
    django.setup()

    import ligdicash
    from ligdicash.contrib.django._store import DjangoStore

    store = ligdicash.open_store("django://elsewhere")
    assert isinstance(store, DjangoStore), store
    try:
        store.claim("evt-1")
    except ligdicash.ConfigurationError as exc:
        print("refused:", exc)
    else:
        print("accepted")
    """
)


def test_another_database_vendor_is_refused_at_the_first_operation() -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.startswith("refused: "), child.stdout + child.stderr[-2000:]
    assert "'elsewhere'" in child.stdout
    assert "unknown" in child.stdout  # the dummy backend's vendor
