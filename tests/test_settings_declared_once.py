"""The client settings are declared once (``_config.SETTINGS``); everything else follows.

The clients keep explicit keyword arguments and the module keeps annotated globals (IDE help
and type checking need them): these tests hold them, the Django adapter and the README
table to the declaration, so adding a setting cannot drift. Also: the plain-http opt-in.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash
from ligdicash import _config
from ligdicash._config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"
NAMES = [setting.name for setting in SETTINGS]


@pytest.mark.parametrize("cls_name", ["Client", "AsyncClient"])
def test_every_setting_is_a_keyword_argument_of_both_clients(cls_name: str) -> None:
    parameters = inspect.signature(getattr(ligdicash, cls_name).__init__).parameters
    for name in NAMES:
        assert name in parameters, name
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[name].default is None
    # http_client and store are collaborators passed as objects, not settings (no env var,
    # no module global: see docs/reconciliation.md for why store is not one).
    others = set(parameters) - set(NAMES) - {"self", "http_client", "store"}
    assert others == set(), "a client argument that is not a declared setting"


def test_every_setting_is_a_module_global_and_documented() -> None:
    for name in NAMES:
        assert name in vars(ligdicash), name
        assert name in (ligdicash.__doc__ or ""), name


def test_the_readme_table_lists_every_setting_with_its_env_var_and_default() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("### Settings") :]
    rows = re.findall(r"^\| `ligdicash\.(\w+)` \| `(\w+)` \| ?(`\w+`)? ?\| (.+) \|$", table, re.M)
    by_name = {row[0]: row for row in rows}
    assert list(by_name) == NAMES
    for setting in SETTINGS:
        _, argument, env, default = by_name[setting.name]
        assert argument == setting.name
        assert env == (f"`{setting.env}`" if setting.env else "")
        assert default == setting.default


def test_the_module_settings_reach_the_default_client(
    configured: FakeLigdicash, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ligdicash._facade import default_client

    values: dict[str, Any] = {
        "platform": "test",
        "allow_http_hosts": ("sandbox",),
        "timeout": 7,
        "max_retries": 4,
        "on_request": print,
    }
    for name, value in values.items():
        monkeypatch.setattr(ligdicash, name, value)
    settings = default_client()._settings
    assert (settings.api_key, settings.auth_token) == (configured.api_key, configured.auth_token)
    assert settings.base_url == configured.base_url
    assert settings.platform == "test"
    assert settings.allow_http_hosts == ("sandbox",)
    assert settings.timeout.read == 7
    assert settings.max_retries == 4
    assert settings.on_request is print
    assert set(NAMES) <= {f.name for f in dataclasses.fields(settings)} | {"base_url"}


def test_every_environment_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "LIGDICASH_API_KEY": "k",
        "LIGDICASH_AUTH_TOKEN": "t",
        "LIGDICASH_PLATFORM": "test",
        "LIGDICASH_BASE_URL": "http://sandbox:8765/pay/v01/",
        "LIGDICASH_ALLOW_HTTP_HOSTS": "sandbox, other",
    }
    assert set(env) == {s.env for s in SETTINGS if s.env}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with ligdicash.Client() as c:
        assert c.platform == "test"
        assert c.base_url == "http://sandbox:8765/pay/v01/"
        assert c._settings.allow_http_hosts == ("sandbox", "other")


DJANGO_CHECK = """
import json, sys
from django.conf import settings
settings.configure(**json.loads(sys.argv[1]))
from ligdicash.contrib import django as adapter
with adapter._client() as client:
    s = client._settings
    print(json.dumps([s.platform, s.base_url, list(s.allow_http_hosts), s.timeout.read,
                      s.max_retries, s.on_request is print]))
"""


def test_the_django_adapter_reads_every_setting() -> None:
    pytest.importorskip("django")
    values = {
        "LIGDICASH_API_KEY": "k",
        "LIGDICASH_AUTH_TOKEN": "t",
        "LIGDICASH_PLATFORM": "test",
        "LIGDICASH_BASE_URL": "http://sandbox:8765/pay/v01/",
        "LIGDICASH_ALLOW_HTTP_HOSTS": ["sandbox"],
        "LIGDICASH_TIMEOUT": 9,
        "LIGDICASH_MAX_RETRIES": 0,
        "LIGDICASH_ON_REQUEST": "builtins.print",
    }
    assert set(values) == {s.django_name for s in SETTINGS}
    # In a child process: configuring Django here would change it for the adapter tests.
    out = subprocess.run(
        [sys.executable, "-c", DJANGO_CHECK, json.dumps(values)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert json.loads(out) == ["test", values["LIGDICASH_BASE_URL"], ["sandbox"], 9, 0, True]


# -- plain http to a named host ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "_warned_http_hosts", set())


def test_plain_http_to_another_host_is_refused_by_default() -> None:
    with pytest.raises(ligdicash.ConfigurationError, match="allow_http_hosts"):
        ligdicash.Client(api_key="k", auth_token="t", base_url="http://sandbox:8765/pay/v01/")
    with pytest.raises(ligdicash.ConfigurationError):
        ligdicash.Client(
            api_key="k",
            auth_token="t",
            base_url="http://sandbox:8765/pay/v01/",
            allow_http_hosts=("other",),
        )


def test_a_named_host_may_use_plain_http_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ligdicash")
    for _ in range(3):
        with ligdicash.Client(
            api_key="k",
            auth_token="t",
            base_url="http://Sandbox:8765/pay/v01/",
            allow_http_hosts=("SANDBOX",),
        ) as c:
            assert c.base_url == "http://Sandbox:8765/pay/v01/"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "sandbox" in warnings[0].getMessage()
    assert "unencrypted" in warnings[0].getMessage()


@pytest.mark.parametrize(
    "host", ["app.ligdicash.com", "test.ligdicash.com", "ligdicash.com", "x.ligdicash.com."]
)
def test_the_providers_hosts_can_never_use_plain_http(host: str) -> None:
    with pytest.raises(ligdicash.ConfigurationError, match="https"):
        ligdicash.Client(
            api_key="k",
            auth_token="t",
            base_url=f"http://{host}/pay/v01/",
            allow_http_hosts=(host,),
        )


@pytest.mark.parametrize("bad", [("http://sandbox",), ("sandbox:8765",), (1,), 5])
def test_allow_http_hosts_takes_plain_host_names(bad: Any) -> None:
    with pytest.raises(ligdicash.ConfigurationError):
        ligdicash.Client(api_key="k", auth_token="t", allow_http_hosts=bad)


def test_a_request_reaches_a_named_http_host(fake: FakeLigdicash) -> None:
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if address != "127.0.0.1" or name == "localhost":
        pytest.skip("this machine's name does not resolve to 127.0.0.1")
    url = f"http://{name}:{fake.port}/pay/v01/"
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=url, allow_http_hosts=name
    ) as c:
        assert c.get_transaction("tok").is_completed
    assert fake.requests[0].headers["host"].startswith(name)
