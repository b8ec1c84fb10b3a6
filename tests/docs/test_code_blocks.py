"""Every Python example of the documentation site runs, in both languages, against a sandbox.

Each page's ```` ```python ```` blocks are executed in order in one namespace, as a reader
would paste them, against an in-process ``Sandbox`` that accepts the provider page's
placeholder credentials (``{API_KEY}``, ``{AUTH_TOKEN}``), reached through the
``LIGDICASH_*`` environment like a deployed application. The reader's own functions the
pages name (``redirect_user``, ``save_token``, ``saved_token``, ``deliver_order``) are
supplied as recorders, so the test also checks what the examples *did*;
``otp_typed_by_customer`` reads the wallet OTP the sandbox last texted. Test functions a
page defines (the pytest-fixture example) are then called with the fixtures they name.
Blocks fenced ```` ```{.python .no-run} ```` are counted and never executed.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import ligdicash

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "docs" / "site"
LANGUAGES = ("fr", "en")


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
    "direct-payin.md": ["pending", "OTP sent. Please check your phone.", "15", "True"],
    "errors.md": ["invoice total 5 is outside the [9; 2,000,000] CFA francs range"],
    "status.md": ["completed", "completed"],
    "sandbox.md": ["completed", "502"],
    "migration.md": ["True"],
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
    "callbacks.md": ["processed", "duplicate", "refused", "0", "0", "InvalidCallbackError"],
    "stores.md": ["claimed", "busy", "True", "done", "[('store', 1)]"],
    "performance.md": ["3", "['completed', 'completed', 'completed']"],
    "reconciliation.md": [
        "payin 1500 pending",
        "InvalidRequestError",
        "InvalidRequestError",
        "1",
        "completed",
        "{'completed': 1}",
        "0",
    ],
}
# What the examples of a page must have done with the reader's functions (order ids).
DELIVERED = {
    "status.md": ["ORD-20240515"],
    "security.md": ["ORD-20240517"],
    "migration.md": ["ORD-20240512"],
    "callbacks.md": ["ORD-20240521"],
    "reconciliation.md": ["ORD-20240530"],
}


@dataclass
class Reader:
    """The reader's application, as the pages' examples call it."""

    redirected: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)

    def namespace(self) -> dict[str, Any]:
        return {
            "__name__": "__docs__",
            "redirect_user": self.redirected.append,
            "save_token": self.tokens.__setitem__,
            "saved_token": self.tokens.__getitem__,
            "deliver_order": self.delivered.append,
        }


@pytest.fixture(scope="module")
def docs_sandbox() -> Iterator[Any]:
    from ligdicash.sandbox import Sandbox, SandboxConfig

    # Instant settlement, except approval-mode payins: they wait for the customer, as the
    # direct-payin page says (approval_delay=None: only ``approve()`` settles them).
    config = SandboxConfig.fast(api_key="{API_KEY}", auth_token="{AUTH_TOKEN}", approval_delay=None)
    with Sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture
def docs_env(docs_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The sandbox, wiped, and the environment a deployed application would have, in a
    working directory of its own (the pages write ``payouts.csv``, SQLite files...)."""
    docs_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIGDICASH_API_KEY", docs_sandbox.api_key)
    monkeypatch.setenv("LIGDICASH_AUTH_TOKEN", docs_sandbox.auth_token)
    monkeypatch.setenv("LIGDICASH_BASE_URL", docs_sandbox.base_url)
    return docs_sandbox


def run_page(language: str, page: str, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Reader:
    reader = Reader()
    namespace = reader.namespace()
    # The reader's OTP form: the code the customer last received (the sandbox's "phone").
    namespace["otp_typed_by_customer"] = lambda: sandbox.wallet_otps()[0]["otp"]
    blocks = parity.python_blocks((SITE / language / page).read_text(encoding="utf-8"))
    for number, (runs, code) in enumerate(blocks, start=1):
        if runs:
            exec(compile(code, f"<{language}/{page} block {number}>", "exec"), namespace)
    fixtures = {"ligdicash_sandbox": sandbox, "ligdicash_sdk": ligdicash}
    for name, value in list(namespace.items()):
        if name.startswith("test_") and inspect.isfunction(value):
            sandbox.reset()
            monkeypatch.setattr(ligdicash, "api_key", sandbox.api_key)
            monkeypatch.setattr(ligdicash, "auth_token", sandbox.auth_token)
            monkeypatch.setattr(ligdicash, "base_url", sandbox.base_url)
            value(**{p: fixtures[p] for p in inspect.signature(value).parameters})
    return reader


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_python_example_of_the_page_runs_against_the_sandbox(
    language: str,
    page: str,
    docs_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reader = run_page(language, page, docs_env, monkeypatch)
    assert capsys.readouterr().out.splitlines() == PRINTED.get(page, [])
    assert reader.delivered == DELIVERED.get(page, [])
    if page == "hosted-payin.md":
        [url] = reader.redirected
        assert url.startswith(docs_env.url + "/pay/invoice/")
        assert set(reader.tokens) == {"ORD-20240512"}


def test_the_pages_name_only_reader_functions_the_test_supplies() -> None:
    supplied = set(Reader().namespace())
    for language in LANGUAGES:
        for page in PAGES:
            for runs, code in parity.python_blocks((SITE / language / page).read_text("utf-8")):
                if not runs:
                    continue
                names = compile(code, page, "exec").co_names
                unknown = {n for n in names if n.endswith("_user") or n.endswith("_order")}
                assert unknown <= supplied, (language, page, unknown)


def test_examples_are_counted_and_the_languages_have_the_same_examples() -> None:
    counts = {}
    for language in LANGUAGES:
        blocks = [
            runs
            for page in PAGES
            for runs, _ in parity.python_blocks((SITE / language / page).read_text("utf-8"))
        ]
        counts[language] = (blocks.count(True), blocks.count(False))
    assert counts["fr"] == counts["en"]
    assert counts["fr"][0] >= 25, counts


def test_a_block_indented_in_a_list_item_is_counted_and_dedented() -> None:
    page = (
        "1. Item:\n\n   ```{.python .no-run}\n   x = 1\n   if x:\n       y = 2\n   ```\n\n"
        "2. Other:\n\n   ```python\n   print(1)\n   ```\n"
    )
    assert parity.python_blocks(page) == [(False, "x = 1\nif x:\n    y = 2"), (True, "print(1)")]
