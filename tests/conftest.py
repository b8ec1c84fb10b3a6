"""Shared fixtures: a real local LigdiCash-speaking server and clean module settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import ligdicash
from fake_ligdicash import FakeLigdicash
from ligdicash import _pipeline
from ligdicash._config import SETTINGS


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeLigdicash]:
    with FakeLigdicash() as server:
        yield server


@pytest.fixture
def fake(_fake_server: FakeLigdicash) -> Iterator[FakeLigdicash]:
    """The fake server with an empty request log and script."""
    _fake_server.reset()
    yield _fake_server
    _fake_server.reset()


@pytest.fixture(autouse=True)
def isolated_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test (and every command it runs) has a data directory of its own: the
    accounts' default payout ledgers never go to the real home, nor from one test to
    another (the sandbox's API key is the same for all)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("LIGDICASH_DATA_DIR", raising=False)


@pytest.fixture(autouse=True)
def clean_module_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with unset module settings, no LIGDICASH_* env and fast backoff."""
    for setting in SETTINGS:
        monkeypatch.setattr(ligdicash, setting.name, None)
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    # Retries keep their count and order; only the waiting is shortened.
    monkeypatch.setattr(_pipeline, "INITIAL_BACKOFF", 0.01)
    yield
    ligdicash.reset_default_client()


@pytest.fixture
def configured(fake: FakeLigdicash) -> FakeLigdicash:
    """Module settings pointing at the fake server."""
    ligdicash.api_key = fake.api_key
    ligdicash.auth_token = fake.auth_token
    ligdicash.base_url = fake.base_url
    return fake


@pytest.fixture
def client(fake: FakeLigdicash) -> Iterator[ligdicash.Client]:
    """A Client pointing at the fake server."""
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as c:
        yield c
