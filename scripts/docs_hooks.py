"""MkDocs hooks (``mkdocs.yml: hooks``): what the site derives from the code at build time.

- ``<!-- ligdicash:refusal-codes -->`` in a page becomes the table of every refusal code per
  endpoint family and platform, read from ``ligdicash._codes.TABLES`` (so it cannot drift
  from what the SDK raises), with the column titles in the page's language.
- ``<!-- ligdicash:exception-reference -->`` becomes one mkdocstrings block per public
  exception class of ``ligdicash.__all__`` and of ``ligdicash.payouts.__all__``.
- ``<!-- ligdicash:version -->`` becomes the package's version.
- Before the build, the pictures of ``scripts/docs_assets.py`` that are missing are made.
- After each page is rendered, the head's per-page ``<link rel="alternate">`` are dropped
  (see :func:`on_post_page`).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import ligdicash
from ligdicash._codes import TABLES

HERE = Path(__file__).resolve().parent

COLUMNS = (
    ("payin", "live"),
    ("payin", "test"),
    ("client_payout", "live"),
    ("merchant_payout", "live"),
    ("status", "live"),
    ("status", "test"),
)
TITLES = {
    "fr": {
        "code": "code",
        ("payin", "live"): "paiement (live)",
        ("payin", "test"): "paiement (test)",
        ("client_payout", "live"): "transfert client (live et test)",
        ("merchant_payout", "live"): "transfert marchand (live et test)",
        ("status", "live"): "statut (live)",
        ("status", "test"): "statut (test)",
    },
    "en": {
        "code": "code",
        ("payin", "live"): "payin (live)",
        ("payin", "test"): "payin (test)",
        ("client_payout", "live"): "client payout (live and test)",
        ("merchant_payout", "live"): "merchant payout (live and test)",
        ("status", "live"): "status (live)",
        ("status", "test"): "status (test)",
    },
}
_UNKNOWN = "[`UnknownRefusalError`][ligdicash.UnknownRefusalError]"
UNLISTED = {
    "fr": f"Un code absent de ce tableau lève {_UNKNOWN}, qui garde le code et le texte "
    "du serveur.",
    "en": f"A code this table does not list raises {_UNKNOWN}, which keeps the code and the "
    "server's words.",
}


def _code_key(code: str) -> tuple[int, str]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits), code[len(digits) :]


def refusal_codes_table(language: str) -> str:
    """Every refusal code, per endpoint family and platform, and its class: a Markdown table."""
    # Payouts use one table for both platforms: one column each is enough, and is checked.
    for family in ("client_payout", "merchant_payout"):
        if TABLES[(family, "live")] is not TABLES[(family, "test")]:
            raise RuntimeError(f"{family}: live and test tables differ; add a column")
    titles = TITLES[language]
    codes = sorted({code for table in TABLES.values() for code in table}, key=_code_key)
    lines = [
        "| " + " | ".join([titles["code"], *(titles[column] for column in COLUMNS)]) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for code in codes:
        cells = []
        for column in COLUMNS:
            cls = TABLES[column].get(code)
            cells.append(f"[`{cls.__name__}`][ligdicash.{cls.__name__}]" if cls else "—")
        lines.append(f"| `{code}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + UNLISTED[language] + "\n"


def public_exceptions() -> list[str]:
    """The public exception classes, each once (aliases such as ``NoDeposit3MError`` skipped)."""
    names = []
    for name in ligdicash.__all__:
        value = getattr(ligdicash, name)
        if inspect.isclass(value) and issubclass(value, Exception) and value.__name__ == name:
            names.append(name)
    return names


def payout_exceptions() -> list[str]:
    """The exception classes of the public ``ligdicash.payouts`` subpackage."""
    import ligdicash.payouts as payouts

    return [
        name
        for name in payouts.__all__
        if inspect.isclass(getattr(payouts, name)) and issubclass(getattr(payouts, name), Exception)
    ]


def exception_reference() -> str:
    """One mkdocstrings block per public exception class, base classes first, then the
    payouts subpackage's."""
    import ligdicash.payouts as payouts

    names = sorted(public_exceptions(), key=lambda n: (len(getattr(ligdicash, n).__mro__), n))
    paths = [f"ligdicash.{name}" for name in names]
    paths += [f"ligdicash.payouts.{name}" for name in payout_exceptions()]
    assert all(hasattr(payouts, path.rsplit(".", 1)[1]) for path in paths[len(names) :])
    return "\n\n".join(f"::: {path}\n    options:\n      heading_level: 3" for path in paths)


def page_language(page: Any) -> str:
    """``"fr"`` or ``"en"``, from the page's folder (``docs/site/<language>/...``)."""
    return str(page.file.src_uri).split("/", 1)[0]


def on_pre_build(config: Any) -> None:
    spec = importlib.util.spec_from_file_location("docs_assets", HERE / "docs_assets.py")
    assert spec is not None
    assert spec.loader is not None
    assets = importlib.util.module_from_spec(spec)
    sys.modules["docs_assets"] = assets  # dataclasses look their module up there
    spec.loader.exec_module(assets)
    assets.generate(Path(config["docs_dir"]), only_missing=True)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    language = page_language(page)
    if "<!-- ligdicash:refusal-codes -->" in markdown:
        markdown = markdown.replace(
            "<!-- ligdicash:refusal-codes -->", refusal_codes_table(language)
        )
    if "<!-- ligdicash:exception-reference -->" in markdown:
        markdown = markdown.replace("<!-- ligdicash:exception-reference -->", exception_reference())
    return markdown.replace("<!-- ligdicash:version -->", ligdicash.__version__)


_SPHINX_ROLE = re.compile(r":(?:class|meth|func|attr|exc|mod|data|obj):(?=<code>)")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # The docstrings name things with Sphinx roles (:class:`Client`), which the Google-style
    # renderer leaves as text before the code: keep the code, drop the role.
    return _SPHINX_ROLE.sub("", html)


_HEAD_ALTERNATE = re.compile(r'<link rel="alternate" href="[^"]*" hreflang="[^"]*">\s*')


def on_post_page(output: str, page: Any, config: Any) -> str:
    # Material's script fetches "sitemap.xml" next to every <link rel="alternate"> of the
    # head; the i18n plugin points those at the same page in each language, so every page
    # would log 404s. The header's language selector keeps its links to the same page in the
    # other language (plain links, no script needed), and sitemap.xml still carries the
    # hreflang alternates for search engines.
    return _HEAD_ALTERNATE.sub("", output)
