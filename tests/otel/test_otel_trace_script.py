"""The trace shown in docs/observability.md comes from scripts/otel_trace.py: it still runs
and still draws the same tree (one hosted payment, creation to handled callback)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tree(text: str) -> list[str]:
    """Each line without its duration and without the sandbox's port."""
    return [re.sub(r"\s+\(\d+\.\d ms\)$", "", line) for line in text.splitlines()]


def test_the_script_draws_the_trace_the_docs_show() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "otel_trace.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    page = (ROOT / "docs" / "observability.md").read_text("utf-8")
    shown = page.split("<!-- otel_trace.py -->\n```text\n", 1)[1].split("```", 1)[0]
    assert tree(out.stdout) == tree(shown)
