"""Release metadata: one version, a licence that matches, public URLs, no public dev extra,
and a changelog; plus the documentation's language-parity checker."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import ligdicash

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    tomllib = pytest.importorskip("tomli")


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))  # type: ignore[no-any-return]


def _load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_version_is_the_installed_distributions_version() -> None:
    assert ligdicash.__version__ == importlib.metadata.version("ligdicash")


def test_the_version_is_written_once_and_read_by_the_build_backend() -> None:
    project = _pyproject()
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/ligdicash/_version.py"


def test_the_licence_file_is_the_mit_licence_the_metadata_declares() -> None:
    assert _pyproject()["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_the_project_urls_are_absolute_and_complete() -> None:
    urls = _pyproject()["project"]["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues", "Source"}
    assert all(url.startswith("https://") for url in urls.values())
    metadata = importlib.metadata.metadata("ligdicash").get_all("Project-URL") or []
    assert f"Documentation, {urls['Documentation']}" in metadata


def test_development_tools_are_a_dependency_group_not_a_public_extra() -> None:
    project = _pyproject()
    assert "dev" not in project["project"]["optional-dependencies"]
    assert "dev" not in (importlib.metadata.metadata("ligdicash").get_all("Provides-Extra") or [])
    groups = project["dependency-groups"]
    dev = [entry for entry in groups["dev"] if isinstance(entry, str)]
    assert any(entry.startswith("pytest") for entry in dev)
    assert {"include-group": "docs"} in groups["dev"]


def test_the_changelog_has_the_unreleased_version_in_keep_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    major_minor_patch = re.match(r"\d+\.\d+\.\d+", ligdicash.__version__)
    assert major_minor_patch is not None
    assert f"## [Unreleased] — {major_minor_patch.group(0)}" in text
    for section in ("### Added", "### Changed", "### Fixed"):
        assert section in text


def test_the_parity_checker_passes_on_the_site_and_names_a_page_missing_in_one_language(
    tmp_path: Path,
) -> None:
    parity = _load_script("check_docs_parity")
    assert parity.problems() == []
    for language in ("fr", "en"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "index.md").write_text("# x\n\n```python\nx = 1\n```\n", "utf-8")
    (tmp_path / "fr" / "only-french.md").write_text("# Seulement en français\n", "utf-8")
    (tmp_path / "en" / "index.md").write_text("# x\n\n```{.python .no-run}\nx = 1\n```\n", "utf-8")
    assert parity.problems(tmp_path) == [
        "index.md: Python examples differ between languages {'fr': ['alone'], 'en': ['no-run']}",
        "only-french.md: missing in en",
    ]


def test_the_refusal_table_has_a_cell_for_every_code_family_and_platform() -> None:
    hooks = _load_script("docs_hooks")
    from ligdicash._codes import TABLES

    for language in ("fr", "en"):
        rows = {
            line.split("|")[1].strip(" `"): [cell.strip() for cell in line.split("|")[2:-1]]
            for line in hooks.refusal_codes_table(language).splitlines()
            if line.startswith("| `")
        }
        for column, key in enumerate(hooks.COLUMNS):
            for code, cls in TABLES[key].items():
                assert f"`{cls.__name__}`" in rows[code][column], (language, key, code)
        listed = sum(cell != "—" for cells in rows.values() for cell in cells)
        assert listed == sum(len(TABLES[key]) for key in hooks.COLUMNS)


def test_each_error_class_has_what_to_do_in_both_languages() -> None:
    hooks = _load_script("docs_hooks")
    for language in ("fr", "en"):
        page = (ROOT / "docs" / "site" / language / "errors.md").read_text("utf-8")
        advice = page[page.index("<!-- ligdicash:refusal-codes -->") :]
        documented = set(re.findall(r"^\| `(\w+)` \| ", advice, re.MULTILINE))
        expected = set(hooks.public_exceptions()) | set(hooks.payout_exceptions())
        assert {"StoreUnavailableError", "LedgerStateError", "BatchValidationError"} <= expected
        assert documented == expected, (language, documented ^ expected)


def _fake_wheel(path: Path, names: list[str], version: str) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as wheel:
        for name in names:
            wheel.writestr(name, "")
        wheel.writestr(
            f"ligdicash-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.4\nName: ligdicash\nVersion: {version}\nLicense-File: LICENSE\n",
        )
    return path


def test_the_wheel_checker_refuses_tests_docs_and_a_missing_py_typed(tmp_path: Path) -> None:
    check_wheel = _load_script("check_wheel")
    good = list(check_wheel.REQUIRED)
    wheel = _fake_wheel(tmp_path / "good.whl", good, ligdicash.__version__)
    assert check_wheel.check_wheel(wheel) == []

    bad = [*good[:1], *good[2:4], "tests/test_client.py", "docs/site/fr/index.md"]
    wheel = _fake_wheel(tmp_path / "bad.whl", bad, "0.0.1")
    problems = check_wheel.check_wheel(wheel)
    assert "missing from the wheel: ligdicash/py.typed" in problems
    assert "missing from the wheel: ligdicash/locale/fr/LC_MESSAGES/ligdicash.mo" in problems
    assert "must not ship in the wheel: tests/test_client.py" in problems
    assert "must not ship in the wheel: docs/site/fr/index.md" in problems
    assert any(problem.startswith("metadata version 0.0.1") for problem in problems)


SITE_URL = "https://ligdicash-python.readthedocs.io/"


def test_the_readme_links_are_absolute_and_those_to_the_site_name_pages_it_has() -> None:
    # On a package index the README is shown alone: a relative link leads nowhere.
    readme = (ROOT / "README.md").read_text("utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r"<(\w+://[^>\s]+)>", readme)
    assert targets
    relative = [t for t in targets if not re.match(r"https?://", t)]
    assert relative == []
    for target in targets:
        if target.startswith(SITE_URL):
            path = target[len(SITE_URL) :].split("#")[0].strip("/")
            language, _, page = path.partition("/") if path.startswith("en") else ("fr", "", path)
            source = ROOT / "docs" / "site" / language / (f"{page}.md" if page else "index.md")
            assert source.is_file(), (target, source)
