"""The message catalogs of the CLI and the sandbox's pages: add, carry over, compile, check.

The words live in gettext catalogs, one per language:
``src/ligdicash/locale/<language>/LC_MESSAGES/ligdicash.po`` (the source, edited by people)
and its compiled ``ligdicash.mo`` beside it (committed: the wheel ships it, and
``tests/i18n/test_catalog.py`` fails when it is older than its ``.po``). The message ids are
keys (``cli.confirm_batch``), the same in every catalog; the texts are ``str.format``
templates (``{count}``), with the same fields in every language.

Usage (Babel reads and writes the catalogs: ``pip install -e . --group dev``):

    python scripts/i18n.py add KEY "English text" "texte français"   # then compiles
    python scripts/i18n.py import OLD_I18N_PY   # entries of an old-style MESSAGES table
    python scripts/i18n.py compile              # every .po to its .mo
    python scripts/i18n.py check                # exit 1 if a .mo is stale or a key missing

``import`` carries over the entries of a ``_i18n.py`` written before the catalogs (a
``MESSAGES = {"en": {...}, "fr": {...}}`` table, e.g. from a branch that added messages
there: ``git show BRANCH:src/ligdicash/_i18n.py > /tmp/old_i18n.py``); keys the catalogs
already have keep the catalogs' text unless ``--replace``.
"""

from __future__ import annotations

import argparse
import array
import ast
import io
import struct
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "ligdicash" / "locale"
LANGUAGES = ("en", "fr")
DOMAIN = "ligdicash"


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    """The catalog of ``language`` (an empty one if its file does not exist yet)."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="ligdicash", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def save(language: str, catalog: Catalog) -> None:
    """Write the ``.po`` (entries in key order, no dates: diffs stay small)."""
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=True)
    path.write_bytes(buffer.getvalue())


def mo_bytes(entries: dict[str, str], language: str) -> bytes:
    """A GNU ``.mo`` file of ``entries`` (as the stdlib's ``Tools/i18n/msgfmt.py`` writes
    it), with a fixed header: the same catalog always compiles to the same bytes, whatever
    the date or the Babel version, so that a test can tell a stale ``.mo``."""
    header = f"Content-Type: text/plain; charset=UTF-8\nLanguage: {language}\n"
    messages = {b"": header.encode()}
    messages.update((k.encode(), v.encode()) for k, v in entries.items())
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets: list[int] = []
    value_offsets: list[int] = []
    for key_offset, key_length, value_offset, value_length in offsets:
        key_offsets += [key_length, key_offset + key_start]
        value_offsets += [value_length, value_offset + value_start]
    head = struct.pack("<Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    table = array.array("i", key_offsets + value_offsets)
    if sys.byteorder != "little":
        table.byteswap()
    return head + table.tobytes() + ids + strs


def compiled(language: str) -> bytes:
    """What the ``.mo`` of ``language`` must contain."""
    entries = {m.id: m.string for m in load(language) if m.id and m.string}
    return mo_bytes(entries, language)


def compile_all() -> list[Path]:
    made = []
    for language in LANGUAGES:
        target = po_path(language).with_suffix(".mo")
        data = compiled(language)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            made.append(target)
    return made


def problems() -> list[str]:
    """Stale ``.mo`` files and keys missing from a language, as sentences."""
    found = []
    keys = {language: {m.id for m in load(language) if m.id and m.string} for language in LANGUAGES}
    every = set().union(*keys.values())
    for language in LANGUAGES:
        for key in sorted(every - keys[language]):
            found.append(f"{language}: no text for {key}")
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(language):
            found.append(f"{mo.relative_to(ROOT)} is stale: run python scripts/i18n.py compile")
    return found


def add(key: str, texts: dict[str, str], *, replace: bool = True) -> bool:
    """Put ``key`` in every catalog; False when it was there already and not replaced."""
    changed = False
    for language in LANGUAGES:
        catalog = load(language)
        if key in catalog and not replace:
            continue
        catalog.add(key, texts[language])
        save(language, catalog)
        changed = True
    return changed


def old_table(path: Path) -> dict[str, dict[str, str]]:
    """The ``MESSAGES`` literal of an old-style ``_i18n.py``, read without importing it."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "MESSAGES" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[arg-type]
            return {language: dict(value[language]) for language in LANGUAGES}
    raise SystemExit(f"{path}: no MESSAGES table")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_parser = commands.add_parser("add", help="add (or change) one message, then compile")
    add_parser.add_argument("key")
    add_parser.add_argument("en")
    add_parser.add_argument("fr")
    import_parser = commands.add_parser("import", help="carry over an old MESSAGES table")
    import_parser.add_argument("file", type=Path)
    import_parser.add_argument("--replace", action="store_true", help="its texts win")
    commands.add_parser("compile", help="compile every .po to its .mo")
    commands.add_parser("check", help="exit 1 if a .mo is stale or a language lacks a key")
    args = parser.parse_args(argv)

    if args.command == "add":
        add(args.key, {"en": args.en, "fr": args.fr})
    elif args.command == "import":
        table = old_table(args.file)
        missing = set(table["en"]) ^ set(table["fr"])
        if missing:
            raise SystemExit(f"{args.file}: keys in one language only: {sorted(missing)}")
        added = [
            key
            for key in sorted(table["en"])
            if add(key, {lang: table[lang][key] for lang in LANGUAGES}, replace=args.replace)
        ]
        print(f"{len(added)} message(s) carried over: {', '.join(added) or '-'}")
    elif args.command == "check":
        found = problems()
        for problem in found:
            print(f"ERROR: {problem}", file=sys.stderr)
        return 1 if found else 0
    for path in compile_all():
        print(f"  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
