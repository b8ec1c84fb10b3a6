"""Secrets in store URLs and on the command line (issue 17, item 10): ``?password=`` is
hidden wherever a URL is shown; ``--api-key``, ``--auth-token`` and a ``--store`` holding a
password warn when typed (they sit in ``ps`` for the whole run) and can come from a file or
the environment instead. The real command runs in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, FakeLigdicash
from ligdicash._stores._base import redact_url

SECRET = "hunter2-s3cret"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIGDICASH_")}
    return subprocess.run(
        [sys.executable, "-m", "ligdicash._cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "LIGDICASH_LANG": "en", **env},
    )


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://shop@db/shop?password={SECRET}",
        f"postgresql://shop@db/shop?sslmode=require&sslpassword={SECRET}&connect_timeout=3",
        f"redis://cache:6379/0?prefix=shop:&password={SECRET}",
        f"redis://cache/0?PassWord={SECRET}#frag",
        f"redis://cache/0?token={SECRET};secret={SECRET}",
        f"postgresql://shop:{SECRET}@db/shop?api_key={SECRET}",
        f"redis://cache/0?pwd={SECRET}&passwd={SECRET}&auth={SECRET}",
    ],
)
def test_redact_url_hides_query_string_secrets(url: str) -> None:
    shown = redact_url(url)
    assert SECRET not in shown
    assert "***" in shown
    assert shown.split("://")[0] == url.split("://")[0]


def test_redact_url_keeps_what_is_not_a_secret() -> None:
    url = "redis://cache:6379/0?prefix=shop:&allow_eviction=1"
    assert redact_url(url) == url


@pytest.mark.parametrize("scheme", ["postgresql", "redis"])
def test_a_store_url_password_in_the_query_shows_nowhere(scheme: str) -> None:
    port = closed_port()
    url = f"{scheme}://127.0.0.1:{port}/0?password={SECRET}"
    store: Any = ligdicash.open_store(url, timeout=1)
    try:
        assert SECRET not in repr(store)
        with pytest.raises(ligdicash.StoreUnavailableError) as caught:
            store.claim("k")
        assert SECRET not in str(caught.value)
        assert SECRET not in repr(caught.value)
    finally:
        store.close()


# -- the command line ----------------------------------------------------------------------


def test_credentials_typed_on_the_command_line_warn_and_from_the_env_do_not() -> None:
    base = f"http://127.0.0.1:{closed_port()}/pay/v01/"
    typed = run("status", "--api-key", "k", "--auth-token", "t", "--base-url", base, "tok")
    warnings = [line for line in typed.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert "--api-key" in warnings[0] or "--api-key" in warnings[1]
    assert all("LIGDICASH_" in w and "-file" in w for w in warnings)
    from_env = run(
        "status", "--base-url", base, "tok", LIGDICASH_API_KEY="k", LIGDICASH_AUTH_TOKEN="t"
    )
    assert "warning" not in from_env.stderr
    assert from_env.returncode == typed.returncode == 3  # the network failure, as before


def test_the_key_and_token_come_from_files(fake: FakeLigdicash, tmp_path: Path) -> None:
    (tmp_path / "key").write_text(API_KEY + "\n")
    (tmp_path / "token").write_text(AUTH_TOKEN + "\n")
    done = run(
        "status",
        "--api-key-file",
        str(tmp_path / "key"),
        "--base-url",
        fake.base_url,
        "tok",
        LIGDICASH_AUTH_TOKEN_FILE=str(tmp_path / "token"),
    )
    assert "warning" not in done.stderr
    [request] = fake.wait_for_requests(1)
    assert request.headers["apikey"] == API_KEY
    assert request.headers["authorization"] == f"Bearer {AUTH_TOKEN}"


def test_a_key_given_twice_or_an_unreadable_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("k")
    both = run("status", "--api-key", "k", "--api-key-file", str(tmp_path / "key"), "tok")
    missing = run("status", "--api-key-file", str(tmp_path / "nope"), "tok")
    for done in (both, missing):
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("ligdicash: ")


def test_a_store_password_typed_warns_and_is_hidden_in_the_error() -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"
    typed = run("inbox", "counts", "--store", url)
    assert typed.returncode == 3
    assert "--store holds a password" in typed.stderr
    assert "LIGDICASH_STORE_URL" in typed.stderr
    assert SECRET not in typed.stderr
    from_env = run(
        "inbox",
        "counts",
        LIGDICASH_STORE_URL=url.replace(f":{SECRET}@", "@") + f"?password={SECRET}",
    )
    assert from_env.returncode == 3
    assert "warning" not in from_env.stderr
    assert SECRET not in from_env.stderr


def test_every_command_guards_its_secret_options() -> None:
    import click

    from ligdicash._cli import build_cli

    guarded: list[str] = []
    commands: list[tuple[str, click.Command]] = [("ligdicash", build_cli())]
    while commands:
        path, command = commands.pop()
        if isinstance(command, click.Group):
            commands.extend((f"{path} {n}", c) for n, c in command.commands.items())
        for param in command.params:
            if param.name in ("store", "store_url") or (
                param.name in ("api_key", "auth_token") and param.envvar
            ):
                assert "_guarded" in getattr(param.callback, "__qualname__", ""), path
                guarded.append(f"{path} {param.name}")
    # Every command that takes credentials or a store is in the walk.
    assert any(g.startswith("ligdicash payouts run") for g in guarded)
    assert "ligdicash reconcile store_url" in guarded
    assert "ligdicash status api_key" in guarded
    assert "ligdicash inbox purge store_url" in guarded


def test_the_endpoints_503_log_line_hides_the_query_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ligdicash.contrib import CallbackProcessor
    from ligdicash.contrib._endpoint import receive

    store = ligdicash.open_store(f"redis://127.0.0.1:{closed_port()}/0?password={SECRET}")
    processor = CallbackProcessor(lookup=lambda cb: None, handler=lambda tx: None, store=store)
    body = b'{"token": "t", "status": "completed", "custom_data": {"transaction_id": "A"}}'
    try:
        with caplog.at_level("ERROR", logger="ligdicash.callbacks"):
            assert receive(processor, body, "application/json").status == 503
    finally:
        store.close()
    assert "NOT stored" in caplog.text
    assert "password=***" in caplog.text
    assert SECRET not in caplog.text
