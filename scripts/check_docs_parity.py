"""Fails when the documentation site's languages differ: a page that exists in one language
and not in the other, or a page whose Python examples differ in number (run or marked
``no-run``) between languages.

Usage: python scripts/check_docs_parity.py   (exit 1 and a list of problems on a mismatch)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "docs" / "site"
LANGUAGES = ("fr", "en")
_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>.*?)\s*$")


def pages(language: str, site: Path = SITE) -> set[str]:
    """The pages of ``language``, as paths relative to its folder (``reference/index.md``)."""
    root = site / language
    return {path.relative_to(root).as_posix() for path in root.rglob("*.md")}


def python_block_kinds(text: str) -> list[tuple[str, str]]:
    """The Python blocks of a Markdown page, in order: ``(kind, code)``.

    - ```` ```python ````: ``"alone"``, a whole example: it runs by itself in a fresh
      interpreter (its own imports and definitions; keys and URLs from the environment).
    - ```` ```{.python .continued} ````: ``"continued"``, a fragment that goes on from the
      page's previous block (the page says so); it runs after that block, in its
      interpreter. Fragments are few (a test counts them).
    - ```` ```{.python .no-run} ````: ``"no-run"``, shown, never executed (it needs a Django
      project, a served application, a database that goes down...).

    Other languages (bash, text, ...) are not Python. A fence indented inside a list item
    counts too; its code loses that indentation.
    """
    blocks: list[tuple[str, str]] = []
    info: str | None = None
    indent = ""
    lines: list[str] = []
    for line in text.splitlines():
        if info is None:
            match = _FENCE.match(line)
            if match:
                info, indent, lines = match.group("info"), match.group("indent"), []
        elif line.startswith(indent + "```"):
            if info == "python":
                blocks.append(("alone", "\n".join(lines)))
            elif info.startswith("{") and ".python" in info:
                if ".no-run" in info:
                    kind = "no-run"
                elif ".continued" in info:
                    kind = "continued"
                else:
                    kind = "alone"
                blocks.append((kind, "\n".join(lines)))
            info = None
        else:
            lines.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" "))
    return blocks


def python_blocks(text: str) -> list[tuple[bool, str]]:
    """The Python blocks of a Markdown page, in order: ``(runs, code)`` (see
    :func:`python_block_kinds`; every kind but ``no-run`` runs)."""
    return [(kind != "no-run", code) for kind, code in python_block_kinds(text)]


def problems(site: Path = SITE) -> list[str]:
    """Every difference between the languages, as sentences."""
    found: list[str] = []
    by_language = {language: pages(language, site) for language in LANGUAGES}
    everything = set().union(*by_language.values())
    for page in sorted(everything):
        missing = [language for language in LANGUAGES if page not in by_language[language]]
        if missing:
            found.append(f"{page}: missing in {', '.join(missing)}")
            continue
        shapes = {
            language: [
                kind for kind, _ in python_block_kinds((site / language / page).read_text("utf-8"))
            ]
            for language in LANGUAGES
        }
        if len({tuple(shape) for shape in shapes.values()}) > 1:
            found.append(f"{page}: Python examples differ between languages {shapes}")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if not found:
        counts = {language: len(pages(language)) for language in LANGUAGES}
        print(f"docs parity ok: {counts}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
