"""Both wire profiles of the sandbox, for the folders whose tests must hold under each.

The callback, payout and reconciliation tests import :func:`sandbox_server_fixture` in
their ``conftest.py``: their session sandbox is then parametrized over the documented
payload shapes (the default) and the older, legacy ones, so every test runs under both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ligdicash.sandbox import Sandbox, SandboxConfig

WIRES = ("documented", "legacy")


@pytest.fixture(scope="session", params=WIRES)
def ligdicash_sandbox_server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The session's sandbox server, once per wire profile (``ligdicash_sandbox`` resets it)."""
    with Sandbox(SandboxConfig.fast(wire=request.param)) as sandbox:
        yield sandbox
