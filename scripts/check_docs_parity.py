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


def python_blocks(text: str) -> list[tuple[bool, str]]:
    """The Python blocks of a Markdown page, in order: ``(runs, code)``.

    A block runs when its fence is ```` ```python ````; ```` ```{.python .no-run} ```` marks one
    that must not (shown, never executed). Other languages (bash, text, ...) are not Python.
    A fence indented inside a list item counts too; its code loses that indentation.
    """
    blocks: list[tuple[bool, str]] = []
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
                blocks.append((True, "\n".join(lines)))
            elif info.startswith("{") and ".python" in info:
                blocks.append((".no-run" not in info, "\n".join(lines)))
            info = None
        else:
            lines.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" "))
    return blocks


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
                runs for runs, _ in python_blocks((site / language / page).read_text("utf-8"))
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
