"""Every Python example of the documentation site runs as a reader copies it, in both languages.

A reader copies one block into a file and runs it. So each ```` ```python ```` block runs
*alone*, in a fresh interpreter (``python block.py``), with nothing but the environment a
deployed application has: ``LIGDICASH_API_KEY``, ``LIGDICASH_AUTH_TOKEN`` and
``LIGDICASH_BASE_URL`` pointing at a sandbox (over HTTP, on loopback), and
``LIGDICASH_SANDBOX_URL`` for the examples that play the customer on the sandbox. No prelude,
no helper injected: a block that uses a name it does not import or define fails here.

The few fragments, fenced ```` ```{.python .continued} ````, go on from the block before
them: they run appended to it, in its interpreter (the page says so in its text). A block
that defines ``test_*`` functions is run the way its page says: ``python -m pytest``.
Blocks fenced ```` ```{.python .no-run} ```` are counted and never executed.

The blocks of a page share one working directory (the pages write ``payouts.csv``, SQLite
files...) and one sandbox, wiped before each page; what they print is checked, in order. A
block that opens with a file name (``# payments.py``) is saved under that name: the page's
later blocks import it, as the reader's own module.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "docs" / "site"
LANGUAGES = ("fr", "en")
# At most this many fragments per language: the rest are whole examples.
MAX_FRAGMENTS = 12


def _load_parity() -> Any:
    spec = importlib.util.spec_from_file_location(
        "check_docs_parity", ROOT / "scripts" / "check_docs_parity.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_docs_parity"] = module
    spec.loader.exec_module(module)
    return module


parity = _load_parity()
PAGES = sorted(parity.pages("fr") | parity.pages("en"))

# What the examples of a page must print, in order (the comments in the pages say so too).
PRINTED = {
    "getting-started.md": ["pending"],
    "hosted-payin.md": ["redirect to http://127.0.0.1:*/pay/invoice/*", "pending"],
    "direct-payin.md": ["pending", "OTP sent. Please check your phone.", "15", "True"],
    "errors.md": ["invoice total 5 is outside the [9; 2,000,000] CFA francs range"],
    "status.md": ["delivered ORD-20240515", "completed", "completed"],
    "sandbox.md": ["completed", "502"],
    "security.md": ["delivered ORD-20240517"],
    "migration.md": ["True", "delivered ORD-20240512"],
    "payouts.md": [
        "completed",
        "line 2: phone must contain only digits (spaces, '+', '-' and dots are ignored)",
        "line 3: amount 5 is outside the [9; 2,000,000] CFA francs range",
        "done 3",
        "done 3",
        "PAY-001 completed",
        "PAY-002 completed",
        "PAY-003 completed",
        "already_final",
        "not_ours",
    ],
    "callbacks.md": [
        "delivered ORD-20240521",
        "processed",
        "duplicate",
        "refused",
        "0",
        "0",
        "InvalidCallbackError",
    ],
    "stores.md": ["claimed", "busy", "True", "done", "[('store', 1)]"],
    "performance.md": ["3", "['completed', 'completed', 'completed']"],
    "reconciliation.md": [
        "payin 1500 pending",
        "InvalidRequestError",
        "InvalidRequestError",
        "delivered ORD-20240530",
        "1",
        "completed",
        "{'completed': 1}",
        "0",
    ],
}


def chains(text: str) -> list[str]:
    """The programs a reader runs: each whole block, with the fragments that continue it."""
    programs: list[list[str]] = []
    for kind, code in parity.python_block_kinds(text):
        if kind == "alone":
            programs.append([code])
        elif kind == "continued":
            assert programs, "a continued fragment needs a block before it"
            programs[-1].append(code)
    return ["\n\n".join(parts) + "\n" for parts in programs]


@pytest.fixture(scope="module")
def docs_sandbox() -> Iterator[Any]:
    from ligdicash.sandbox import Sandbox, SandboxConfig

    # Instant settlement, except approval-mode payins: they wait for the customer, as the
    # direct-payin page says (approval_delay=None: only ``approve()`` settles them). The
    # provider page's placeholders are the keys (the migration page shows its 1.x set-up).
    config = SandboxConfig.fast(api_key="{API_KEY}", auth_token="{AUTH_TOKEN}", approval_delay=None)
    with Sandbox(config) as sandbox:
        yield sandbox


def reader_environment(sandbox: Any, data: Path) -> dict[str, str]:
    """The environment of a deployed application pointed at the sandbox, and nothing of ours
    (the payout ledgers of the account go to ``data``, not to the user's data directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIGDICASH_", "PYTEST"))}
    env.pop("PYTHONPATH", None)
    env.update(
        LIGDICASH_API_KEY=sandbox.api_key,
        LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
        LIGDICASH_BASE_URL=sandbox.base_url,
        LIGDICASH_SANDBOX_URL=sandbox.url,
        LIGDICASH_DATA_DIR=str(data),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_program(code: str, name: str, cwd: Path, env: dict[str, str]) -> str:
    """Run one program as a reader would, in a fresh interpreter; its standard output."""
    path = cwd / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    if re.search(r"^def test_", code, re.MULTILINE):
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path.name]
    else:
        command = [sys.executable, path.name]
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"{name}\n{code}\n--- stdout\n{result.stdout}\n{result.stderr}"
    if command[1] == "-m":
        assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout
        return ""
    return result.stdout


def _matches(printed: list[str], expected: list[str]) -> bool:
    if len(printed) != len(expected):
        return False
    patterns = [re.escape(line).replace(r"\*", r"[^ ]*") for line in expected]
    return all(re.fullmatch(p, line) for p, line in zip(patterns, printed))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_python_example_runs_alone_in_a_fresh_interpreter(
    language: str, page: str, docs_sandbox: Any, tmp_path: Path
) -> None:
    docs_sandbox.reset()
    env = reader_environment(docs_sandbox, tmp_path / "data")
    printed: list[str] = []
    text = (SITE / language / page).read_text("utf-8")
    for number, program in enumerate(chains(text), start=1):
        # A block that opens with its file's name (``# payments.py``) is that file: the
        # blocks after it import it, as the reader's would.
        named = re.match(r"# ([a-z_]+)\.py\n", program)
        name = named.group(1) if named else f"example_{page.replace('/', '_')[:-3]}_{number}"
        printed += run_program(program, name, tmp_path, env).splitlines()
    expected = PRINTED.get(page, [])
    assert _matches(printed, expected), (printed, expected)


def test_a_block_that_uses_a_name_it_never_defines_fails_alone(
    docs_sandbox: Any, tmp_path: Path
) -> None:
    # What the old prelude hid: this ran with a supplied deliver_order, and must not now.
    with pytest.raises(AssertionError, match="NameError: name 'deliver_order'"):
        run_program('deliver_order("ORD-1")\n', "fragment", tmp_path, {**os.environ})


def test_fragments_are_few_and_the_languages_have_the_same_examples() -> None:
    counts = {}
    for language in LANGUAGES:
        kinds = [
            kind
            for page in PAGES
            for kind, _ in parity.python_block_kinds((SITE / language / page).read_text("utf-8"))
        ]
        counts[language] = (kinds.count("alone"), kinds.count("continued"), kinds.count("no-run"))
    assert counts["fr"] == counts["en"]
    alone, continued, _ = counts["fr"]
    assert alone >= 25, counts
    assert continued <= MAX_FRAGMENTS, counts


def test_a_fragment_says_so_in_its_first_line() -> None:
    # What the reader sees, and copies: the fragment needs what the block above defined.
    said = {"fr": "# suite de l'exemple ci-dessus", "en": "# continues the example above"}
    for language in LANGUAGES:
        for page in PAGES:
            text = (SITE / language / page).read_text("utf-8")
            for kind, code in parity.python_block_kinds(text):
                if kind == "continued":
                    assert code.startswith(said[language]), (language, page, code[:80])


def test_a_continued_fragment_runs_appended_to_the_block_before_it() -> None:
    page = (
        "```python\nx = 1\n```\n\ntext\n\n```{.python .continued}\nprint(x)\n```\n\n"
        "```{.python .no-run}\nnever()\n```\n\n```python\nprint(2)\n```\n"
    )
    assert chains(page) == ["x = 1\n\nprint(x)\n", "print(2)\n"]


def test_a_block_indented_in_a_list_item_is_counted_and_dedented() -> None:
    page = (
        "1. Item:\n\n   ```{.python .no-run}\n   x = 1\n   if x:\n       y = 2\n   ```\n\n"
        "2. Other:\n\n   ```python\n   print(1)\n   ```\n"
    )
    assert parity.python_blocks(page) == [(False, "x = 1\nif x:\n    y = 2"), (True, "print(1)")]
    assert parity.python_block_kinds(page) == [
        ("no-run", "x = 1\nif x:\n    y = 2"),
        ("alone", "print(1)"),
    ]
