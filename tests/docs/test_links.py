"""Every link of the README and of the documentation leads to something that exists: a
relative link to a file of the repository, a GitHub link to a file or folder of ``main``
(checked in this checkout), a link to the published site to a page the site's sources have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "https://ligdicash-python.readthedocs.io/"
GITHUB = "https://github.com/ligdicash-python/ligdicash/"
_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<(https?://[^>\s]+)>")
_FENCE = re.compile(r"^ *```.*?^ *```", re.MULTILINE | re.DOTALL)


def links(text: str) -> list[str]:
    """The link targets of a Markdown text, code blocks and inline code left out."""
    text = _FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [a or b for a, b in _LINK.findall(text)]


def problem(source: Path, target: str) -> str | None:
    """Why ``target``, linked from ``source``, leads nowhere (None: it leads somewhere)."""
    if target.startswith(SITE_URL):
        path = target[len(SITE_URL) :].split("#")[0].strip("/")
        language, _, page = path.partition("/") if path.startswith("en") else ("fr", "", path)
        page_file = ROOT / "docs" / "site" / language / (f"{page}.md" if page else "index.md")
        index_file = ROOT / "docs" / "site" / language / page / "index.md"
        return None if page_file.is_file() or index_file.is_file() else f"no page for {target}"
    if target.startswith(GITHUB):
        match = re.match(r"(?:blob|tree)/main/([^#?]*)", target[len(GITHUB) :])
        if match is None:
            return None  # the repository's home, its issues...
        path = ROOT / match.group(1)
        return None if path.exists() else f"{target}: no {match.group(1)} in the repository"
    if re.match(r"[a-z]+:", target) or target.startswith("#"):
        return None  # another site, mail, an anchor of the same page
    path = (source.parent / target.split("#")[0]).resolve()
    return None if path.exists() else f"{target}: {path} does not exist"


DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")],
)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_the_document_leads_somewhere(document: Path) -> None:
    found = [
        p for t in links(document.read_text("utf-8")) if (p := problem(document, t)) is not None
    ]
    assert found == []


def test_a_link_to_a_page_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("x", "utf-8")
    text = (
        "[ok](page.md) [gone](gone.md#x) `[not a link](nowhere.md)` "
        f"[site]({SITE_URL}en/no-such-page/) [repo]({GITHUB}blob/main/docs/no-such.md) "
        f"[home]({GITHUB}) <https://example.org/>\n```\n[in code](nowhere.md)\n```\n"
    )
    found = [p for t in links(text) if (p := problem(page, t)) is not None]
    assert len(found) == 3, found
    assert found[0].startswith("gone.md#x")
    assert "no page for" in found[1]
    assert "no docs/no-such.md" in found[2]


# The site's sources (docs/site/{fr,en}/) are the one source of every guide page. These
# English long-form pages predate the site and are being folded into it; no other top-level
# page may duplicate a site page (a new guide page goes to the site, in both languages).
FOLDING = {"callbacks.md", "payouts.md", "reconciliation.md", "sandbox.md", "stores.md"}


def test_no_top_level_page_duplicates_a_site_page_but_those_being_folded_in() -> None:
    site_pages = {p.name for p in (ROOT / "docs" / "site" / "en").glob("*.md")}
    top_level = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert top_level & site_pages == FOLDING
    for name in sorted(FOLDING):
        assert "**The guide is the site's page**" in (ROOT / "docs" / name).read_text("utf-8")
