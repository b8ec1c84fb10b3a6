"""``manage.py ligdicash_reconcile --store URL`` with a wrong URL: one line (Django's
``CommandError``), the ``ligdicash`` command's exit status, no password (issue 20 item 2)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from test_django_command import MANAGE, SHOP, _manage

from ligdicash.sandbox import Sandbox

PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [
        ("no_such_database", 2, "does not exist"),
        ("server_down", 3, "unavailable"),
        ("unknown_scheme", 2, "scheme 'mysql'"),
    ],
)
def test_a_bad_store_url_is_one_line_and_the_commands_exit_status(
    ligdicash_sandbox: Sandbox, tmp_path: Path, kind: str, code: int, words: str
) -> None:
    (tmp_path / "shop.py").write_text(SHOP)
    # As a project's manage.py runs it (call_command would raise the CommandError).
    manage = MANAGE.replace(
        'call_command("ligdicash_reconcile", *sys.argv[1:])',
        "from django.core.management import execute_from_command_line\n"
        'execute_from_command_line(["manage.py", "ligdicash_reconcile", *sys.argv[1:]])',
    )
    assert manage != MANAGE
    (tmp_path / "manage.py").write_text(manage)
    host = PG_URL.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    url = {
        "no_such_database": f"postgresql://postgres:hunter2@{host}/ligdicash_no_such_db",
        "server_down": f"postgresql://postgres:hunter2@127.0.0.1:{_free_port()}/shop",
        "unknown_scheme": "mysql://shop:hunter2@db/shop",
    }[kind]
    shop_store = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    result = _manage(ligdicash_sandbox, tmp_path, shop_store, "--once", "--store", url)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert words in lines[0]
    assert "hunter2" not in result.stderr
    assert "error connecting" not in result.stderr  # the pool never tried (10 s of retries)
