"""``open_store(url)``: the URL forms, the environment, lazy drivers, schema versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from store_helpers import StoreFactory

import ligdicash
from ligdicash import ConfigurationError, open_store
from ligdicash._stores import SCHEMA_VERSION, MemoryStore, SQLiteStore
from ligdicash._stores._redis_base import REDIS_LAYOUT_VERSION


def test_without_a_url_or_the_environment_the_store_is_a_sqlite_file_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIGDICASH_STORE_URL", raising=False)
    store = open_store()
    assert isinstance(store, SQLiteStore)
    store.complete(store.claim("k"))
    store.close()
    assert (tmp_path / "ligdicash-callbacks.sqlite3").exists()


def test_the_environment_names_the_store_when_no_url_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIGDICASH_STORE_URL", "memory://")
    assert isinstance(open_store(), MemoryStore)
    url = f"sqlite:///{tmp_path / 'from-argument.sqlite3'}"
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    assert store.path == str(tmp_path / "from-argument.sqlite3")
    store.close()


@pytest.mark.parametrize(
    "url", ["nonsense", "ftp://host/file", "sqlite://", "sqlite:///", "mysql://db/shop"]
)
def test_a_url_no_backend_reads_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url)


def test_a_password_in_a_bad_url_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_store("mysql://shop:hunter2@db/shop")
    assert "hunter2" not in str(caught.value)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_import_ligdicash_loads_no_store_driver() -> None:
    child = _python(
        "import sys, ligdicash\n"
        "loaded = [m for m in ('psycopg', 'psycopg_pool', 'redis', 'django', 'sqlite3',"
        " 'ligdicash._stores') if m in sys.modules]\n"
        "print(loaded)\n"
        "assert ligdicash.open_store is not None\n"
        "print('psycopg' in sys.modules, 'redis' in sys.modules)\n"
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == ["[]", "False False"]


@pytest.mark.parametrize(
    ("module", "url", "extra"),
    [
        ("psycopg", "postgresql://127.0.0.1/x", "ligdicash[postgres]"),
        ("psycopg_pool", "postgresql://127.0.0.1/x", "ligdicash[postgres]"),
        ("redis", "redis://127.0.0.1:6379/0", "ligdicash[redis]"),
    ],
)
def test_a_missing_driver_is_a_one_line_import_error_naming_the_extra(
    module: str, url: str, extra: str
) -> None:
    child = _python(
        f"import sys\nsys.modules[{module!r}] = None\nimport ligdicash\n"
        f"try:\n    ligdicash.open_store({url!r})\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip().endswith(f"pip install '{extra}'")
    assert len(child.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "redis"], indirect=True)
def test_the_schema_carries_its_version(make_store: StoreFactory, store_url: Optional[str]) -> None:
    first = make_store()
    second = make_store()  # opening again is harmless: IF NOT EXISTS / SET NX
    first.get("create")
    second.get("create")
    expected = REDIS_LAYOUT_VERSION if "redis" in (store_url or "") else SCHEMA_VERSION
    assert first.schema_version() == expected
    assert SCHEMA_VERSION == 1
    assert ligdicash.Store is not None
