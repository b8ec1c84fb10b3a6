"""Lists a built wheel and sdist and fails when they ship what they must not (or lack what
they must): no tests, no documentation sources, no bytecode; ``py.typed``, the licence and
the sandbox present; the metadata's version equal to ``src/ligdicash/_version.py``.

Usage: python scripts/check_wheel.py dist/ligdicash-X-py3-none-any.whl dist/ligdicash-X.tar.gz
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

VERSION_FILE = Path(__file__).resolve().parent.parent / "src" / "ligdicash" / "_version.py"
REQUIRED = (
    "ligdicash/__init__.py",
    "ligdicash/py.typed",
    "ligdicash/sandbox/__init__.py",
    # The compiled message catalogs (committed; tests/i18n/test_catalog.py keeps them fresh).
    "ligdicash/locale/en/LC_MESSAGES/ligdicash.mo",
    "ligdicash/locale/fr/LC_MESSAGES/ligdicash.mo",
)
FORBIDDEN = re.compile(r"(^|/)(tests?|docs|benchmarks|examples|scripts|\.ci)/|\.pyc$|mkdocs\.yml")


def check_wheel(path: Path) -> list[str]:
    """Print the wheel's files and size; return the problems found."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as wheel:
        infos = wheel.infolist()
        names = [info.filename for info in infos]
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(metadata_name).decode("utf-8")
    for info in infos:
        print(f"  {info.file_size:>8}  {info.filename}")
    size = path.stat().st_size
    unpacked = sum(info.file_size for info in infos)
    print(f"  {len(names)} files, {size / 1024:.1f} KiB packed, {unpacked / 1024:.1f} KiB unpacked")
    problems += [f"missing from the wheel: {name}" for name in REQUIRED if name not in names]
    problems += [f"must not ship in the wheel: {n}" for n in names if FORBIDDEN.search(n)]
    if not any(re.search(r"\.dist-info/licenses/LICENSE$", n) for n in names) and (
        "License-File: LICENSE" not in metadata
    ):
        problems.append("the wheel carries no LICENSE file")
    expected = re.search(r'__version__ = "([^"]+)"', VERSION_FILE.read_text(encoding="utf-8"))
    version = re.search(r"^Version: (.+)$", metadata, re.MULTILINE)
    if expected is None or version is None or version.group(1) != expected.group(1):
        problems.append(f"metadata version {version and version.group(1)} != _version.py")
    return problems


def check_sdist(path: Path) -> list[str]:
    """Return the problems of the sdist (it must rebuild the wheel and carry the licence)."""
    with tarfile.open(path) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    print(f"  sdist: {len(names)} files, {path.stat().st_size / 1024:.1f} KiB")
    needed = ("pyproject.toml", "LICENSE", "README.md", "CHANGELOG.md", "src/ligdicash/py.typed")
    return [f"missing from the sdist: {name}" for name in needed if name not in names]


def main(argv: list[str]) -> int:
    problems: list[str] = []
    for arg in argv:
        path = Path(arg)
        problems += check_wheel(path) if path.suffix == ".whl" else check_sdist(path)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
