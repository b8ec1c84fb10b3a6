"""pytest plugin (entry point ``ligdicash_sandbox``): a running LigdiCash sandbox per test.

Fixtures:

- ``ligdicash_sandbox``: a ``Sandbox`` handle, reset before each test. The server itself is
  started once per session, on a free loopback port, with instant settlement
  (``SandboxConfig.fast()``); set ``ligdicash_sandbox_realistic_delays = true`` in the pytest
  ini file for the default delays instead, and ``ligdicash_sandbox_wire = legacy`` for the
  older payload shapes instead of the documented ones.
- ``ligdicash_sdk``: the ``ligdicash`` module pointed at that sandbox (``api_key``,
  ``auth_token``, ``base_url``), restored after the test.

Loaded by pytest for every run, so it imports nothing heavy until a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from ligdicash.sandbox import Sandbox

HINT = "the ligdicash sandbox needs its extra: pip install 'ligdicash[sandbox]'"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "ligdicash_sandbox_realistic_delays",
        "ligdicash_sandbox: settle after the default delays instead of at once",
        type="bool",
        default=False,
    )
    parser.addini(
        "ligdicash_sandbox_wire",
        "ligdicash_sandbox: payload shapes, documented (default) or legacy",
        default="documented",
    )


@pytest.fixture(scope="session")
def ligdicash_sandbox_server(pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """The session's sandbox server (prefer ``ligdicash_sandbox``, which resets it)."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from ligdicash.sandbox import Sandbox, SandboxConfig
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        pytest.fail(f"{HINT} ({exc})", pytrace=False)
    realistic = bool(pytestconfig.getini("ligdicash_sandbox_realistic_delays"))
    wire = str(pytestconfig.getini("ligdicash_sandbox_wire") or "documented")
    config = SandboxConfig(wire=wire) if realistic else SandboxConfig.fast(wire=wire)  # type: ignore[arg-type]
    with Sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture
def ligdicash_sandbox(ligdicash_sandbox_server: Sandbox) -> Sandbox:
    """A running sandbox, wiped clean (transactions, callbacks, faults, balance)."""
    ligdicash_sandbox_server.reset()
    return ligdicash_sandbox_server


@pytest.fixture
def ligdicash_sdk(ligdicash_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``ligdicash`` module configured to talk to ``ligdicash_sandbox``."""
    import ligdicash

    monkeypatch.setattr(ligdicash, "api_key", ligdicash_sandbox.api_key, raising=False)
    monkeypatch.setattr(ligdicash, "auth_token", ligdicash_sandbox.auth_token, raising=False)
    monkeypatch.setattr(ligdicash, "base_url", ligdicash_sandbox.base_url, raising=False)
    return ligdicash
