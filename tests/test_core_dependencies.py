"""The core's runtime dependencies: httpx, and sniffio so httpcore's async pool stays cheap."""

from __future__ import annotations

import asyncio
import importlib.metadata
import re


def _requirement_names() -> set[str]:
    requires = importlib.metadata.requires("ligdicash") or []
    core = [r for r in requires if "extra ==" not in r]
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in core}


def test_the_core_depends_on_httpx_and_sniffio_only() -> None:
    # Heavy things go in extras; sniffio is there because httpcore imports it on every async
    # pool operation and, when it is missing, each failed import rescans sys.path.
    assert _requirement_names() == {"httpx", "sniffio"}


def test_httpcores_async_library_check_does_not_rescan_the_path() -> None:
    """With sniffio installed the check is answered from memory: a failed import (sniffio
    missing) leaves nothing in ``sys.modules`` and walks ``sys.path`` again on every call."""
    import sys

    from httpcore._synchronization import current_async_library

    async def check() -> str:
        return current_async_library()

    assert asyncio.run(check()) == "asyncio"
    assert sys.modules.get("sniffio") is not None
