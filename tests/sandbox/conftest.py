"""Fixtures of the sandbox tests: the reset session sandbox, an authenticated client,
a callback receiver, extra sandboxes with their own configuration."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from ligdicash.sandbox import CallbackReceiver, Sandbox, SandboxConfig

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def ligdicash_sandbox_server() -> Iterator[Sandbox]:
    """The sandbox folder's session server speaks the older (legacy) shapes, which these
    tests spell out field by field; ``test_documented_wire`` covers the default ones."""
    with Sandbox(SandboxConfig.fast(wire="legacy")) as sandbox:
        yield sandbox


@pytest.fixture
def sb(ligdicash_sandbox: Sandbox) -> Sandbox:
    """The session sandbox (instant settlement), reset for this test."""
    return ligdicash_sandbox


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    """An authenticated raw HTTP client on the sandbox's API root."""
    with httpx.Client(base_url=sb.base_url, headers=sb.auth_headers, trust_env=False) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """A local merchant endpoint recording callbacks."""
    with CallbackReceiver() as rx:
        yield rx


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start extra sandboxes with their own configuration (stopped after the test)."""
    started: list[Sandbox] = []

    def make(config: SandboxConfig | None = None, **changes: Any) -> Sandbox:
        sandbox = Sandbox(config or SandboxConfig.fast(), **changes).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
