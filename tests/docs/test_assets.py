"""The site's pictures are committed and fresh: the site builds with no browser (Read the
Docs, a machine with only the ``docs`` group), and a change to what a screenshot shows fails
here until ``python scripts/docs_assets.py`` has remade them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _assets() -> Any:
    spec = importlib.util.spec_from_file_location(
        "docs_assets", ROOT / "scripts" / "docs_assets.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_assets"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_picture_is_committed_and_none_is_stale() -> None:
    assert _assets().stale() == []


def test_a_change_to_the_dashboards_words_makes_the_screenshots_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ligdicash._i18n as i18n

    assets = _assets()
    real = i18n.message

    def reworded(language: str, key: str, **fields: Any) -> str:
        text = real(language, key, **fields)
        return text + "!" if key == "dash.title" else text

    monkeypatch.setattr(i18n, "message", reworded)
    assert any("screenshots are older" in problem for problem in assets.stale())


def test_a_missing_picture_or_a_diagram_that_differs_from_the_drawing_is_stale(
    tmp_path: Path,
) -> None:
    assets = _assets()
    for language in assets.LANGUAGES:
        folder = tmp_path / language / assets.GENERATED
        folder.mkdir(parents=True)
        (folder / assets.DIAGRAM).write_text("<svg/>", "utf-8")
    problems = assets.stale(tmp_path)
    assert "fr/assets/generated/payment-sequence.svg differs from what the script draws" in problems
    assert "en/assets/generated/dashboard.png is missing" in problems


def test_the_build_hook_needs_no_playwright_when_the_pictures_are_there() -> None:
    # What mkdocs' pre-build hook runs, in a process where Playwright cannot be imported.
    code = (
        "import sys; sys.modules['playwright'] = None; "
        "sys.path.insert(0, 'scripts'); import docs_assets; "
        "from pathlib import Path; "
        "assert docs_assets.generate(only_missing=True) == []; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_a_missing_screenshot_without_playwright_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['playwright'] = None; "
        "sys.path.insert(0, 'scripts'); import docs_assets; from pathlib import Path; "
        f"docs_assets.generate(Path({str(tmp_path)!r}), only_missing=True)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "RuntimeError: the screenshots need playwright" in result.stderr
