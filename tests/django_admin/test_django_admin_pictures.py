"""The admin screenshots of the docs site are committed and fresh: a change to what they
show (the admin's modules, the models, the French catalog) fails here until
``python scripts/admin_screenshots.py`` has remade them."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "admin_screenshots", ROOT / "scripts" / "admin_screenshots.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["admin_screenshots"] = module
    spec.loader.exec_module(module)
    return module


def test_the_admin_screenshots_are_committed_and_fresh() -> None:
    assert _script().stale() == []


def test_a_change_to_the_admin_makes_them_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script()
    for name in script.SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    assert script.digest() == _script().digest()
    with (tmp_path / script.SOURCES[0]).open("a") as source:
        source.write("# a change\n")
    assert script.digest() != _script().digest()
