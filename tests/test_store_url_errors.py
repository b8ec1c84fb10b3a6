"""Store and ledger URLs: one scheme registry, one error (``StoreURLError``, still a
``ConfigurationError`` and an ``InvalidRequestError``), and a PostgreSQL URL that is wrong
or whose server is down answered in one sentence within about 2 s, without the password,
in the library and in the commands (issue 18 item 7, issue 20 item 2)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from ligdicash import (
    ConfigurationError,
    InvalidRequestError,
    StoreUnavailableError,
    StoreURLError,
    open_store,
)
from ligdicash._stores._open import check_store_url
from ligdicash.payouts import open_ledger

PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MAIN = "from ligdicash._cli import main; main()"


def _with_password(url: str, password: str = "hunter2") -> str:
    """``url`` with ``password`` in its user part (trust authentication ignores it)."""
    scheme, rest = url.split("://", 1)
    user_host = rest.split("/", 1)[0]
    user, host = user_host.rsplit("@", 1) if "@" in user_host else ("postgres", user_host)
    user = user.split(":", 1)[0]
    return f"{scheme}://{user}:{password}@{host}/"


def _no_such_database() -> str:
    return _with_password(PG_URL) + "ligdicash_no_such_database"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def _server_down() -> str:
    return f"postgresql://postgres:hunter2@127.0.0.1:{_closed_port()}/shop"


@pytest.mark.parametrize(
    "url", ["mysql://shop:hunter2@db/shop", "nonsense", "ftp://x/y", "sqlite://"]
)
def test_both_factories_refuse_a_bad_url_with_the_same_error(url: str) -> None:
    for factory in (open_store, open_ledger):
        with pytest.raises(StoreURLError) as caught:
            factory(url)
        # Whatever a caller caught before still catches it.
        assert isinstance(caught.value, ConfigurationError)
        assert isinstance(caught.value, InvalidRequestError)
        assert "hunter2" not in str(caught.value)
    assert ligdicash.StoreURLError is StoreURLError


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "memory://"])
def test_a_ledger_in_a_store_only_scheme_is_the_same_error(url: str) -> None:
    with pytest.raises(StoreURLError, match=r"scheme .* cannot hold a ledger: use"):
        open_ledger(url)


def test_django_url_before_django_is_set_up_says_what_to_do() -> None:
    with pytest.raises(StoreURLError, match="INSTALLED_APPS"):
        open_store("django://")


def test_the_registry_loads_no_driver_and_no_upper_layer() -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ligdicash, ligdicash.payouts\n"
            "from ligdicash._stores import _open\n"
            "print(sorted(m for m in ('psycopg', 'redis', 'django', 'ligdicash.contrib',"
            " 'ligdicash._cli') if m in sys.modules))\n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "[]"


def _open_and_use(factory: Any, url: str) -> None:
    opened = factory(url)
    try:
        opened.get("k")  # a store opens its pool on first use
    finally:
        opened.close()


def _quiet_pool(caplog: pytest.LogCaptureFixture) -> None:
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [], [r.getMessage() for r in warnings]


def test_a_database_that_does_not_exist_is_a_url_error_within_2_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    url = _no_such_database()
    for factory in (open_store, open_ledger):
        started = time.monotonic()
        with pytest.raises(StoreURLError) as caught:
            _open_and_use(factory, url)
        assert time.monotonic() - started < 5  # the pool gave up after 10 s
        assert "does not exist" in str(caught.value)
        assert "hunter2" not in str(caught.value)
    _quiet_pool(caplog)


def test_a_server_that_is_down_is_unavailable_within_2_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    url = _server_down()
    for check in (open_ledger, check_store_url):
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as caught:
            check(url)
        assert time.monotonic() - started < 5  # the pool gave up after 10 s
        assert "hunter2" not in str(caught.value)
    _quiet_pool(caplog)


def test_a_store_stays_lazy_about_a_server_that_is_down() -> None:
    # It may be opened while its server restarts (an app's start): its first use raises.
    store = open_store(_server_down(), timeout=1)
    try:
        with pytest.raises(StoreUnavailableError):
            store.get("k")
    finally:
        store.close()


def _cli(*args: str, prelude: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIGDICASH_")}
    env.update(LIGDICASH_API_KEY="key", LIGDICASH_AUTH_TOKEN="token", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-c", prelude + MAIN, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if "on the command line" not in line  # the warning about a password in argv
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ligdicash: ")
    assert "hunter2" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("command", "url", "code", "words"),
    [
        (("reconcile", "--once"), "no_such_database", 2, "does not exist"),
        (("reconcile", "--once"), "server_down", 3, "unavailable"),
        (("payouts", "status", "latest"), "no_such_database", 2, "does not exist"),
        (("payouts", "status", "latest"), "server_down", 3, "unavailable"),
        (("inbox", "counts"), "no_such_database", 2, "does not exist"),
    ],
)
def test_the_commands_say_it_in_one_line_with_the_right_exit_code(
    tmp_path: Path, command: tuple[str, ...], url: str, code: int, words: str
) -> None:
    target = _no_such_database() if url == "no_such_database" else _server_down()
    result = _cli(*command, "--store", target, cwd=tmp_path)
    assert words in _one_line(result, code)
    assert "error connecting" not in result.stderr  # the pool never tried (10 s of retries)


@pytest.mark.parametrize(
    ("module", "url", "extra"),
    [
        ("psycopg", "postgresql://127.0.0.1/x", "ligdicash[postgres]"),
        ("redis", "redis://127.0.0.1:6379/0", "ligdicash[redis]"),
    ],
)
def test_reconcile_without_the_extra_is_one_line_naming_it(
    tmp_path: Path, module: str, url: str, extra: str
) -> None:
    result = _cli(
        "reconcile",
        "--store",
        url,
        "--once",
        prelude=f"import sys; sys.modules[{module!r}] = None; ",
        cwd=tmp_path,
    )
    assert extra in _one_line(result, 2)
