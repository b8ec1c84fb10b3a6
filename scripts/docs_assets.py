"""Generates the documentation site's pictures into ``docs/site/<language>/assets/generated/``.

Each language has its own copy (the i18n plugin serves a language only its own files):

- ``payment-sequence.svg``: a hosted payment with its two callbacks, labels in the page's
  language, drawn as a sequence diagram by this script (plain SVG: no Mermaid, no CDN).
- ``hosted-page.png`` and ``dashboard.png``: screenshots of the sandbox's hosted payment page
  and of its dashboard, taken by Playwright in Debian's Chromium against an in-process
  ``Sandbox`` holding a few real transactions made through the SDK; the browser's locale is
  the page's language, so the French site shows the French pages.

The pictures are committed, so that the site builds from the ``docs`` dependency group alone
(no Playwright, no browser: Read the Docs included). A screenshot must not go stale
silently: ``scripts/docs_assets.sha256`` holds a digest of what the screenshots show (the
sandbox's page and dashboard modules, their words in both languages, this script), written
when they are made; ``tests/docs/test_assets.py`` fails when the digest no longer matches,
and says to run this script (it needs ``playwright`` and Debian's Chromium). The diagram is
pure Python: the test compares it with what this script draws.

Usage: python scripts/docs_assets.py [--only-missing] [--site DIR] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "site"
GENERATED = Path("assets") / "generated"
CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
STAMP = ROOT / "scripts" / "docs_assets.sha256"
# What the screenshots show: a change to one of these files, or to a word of the page or the
# dashboard, makes them stale.
SCREENSHOT_SOURCES = (
    "src/ligdicash/sandbox/_page.py",
    "src/ligdicash/sandbox/_dashboard.py",
    "src/ligdicash/sandbox/_views.py",
    "scripts/docs_assets.py",
)
SCREENSHOT_MESSAGES = ("page.", "dash.")
LANGUAGES = ("fr", "en")


# --- the sequence diagram -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One arrow (``source`` → ``target``) or, with ``target is None``, a note on ``source``."""

    source: int
    target: Optional[int]
    fr: str
    en: str
    reply: bool = False
    highlight: bool = False


ACTORS = {
    "fr": ("Client (navigateur)", "Votre serveur + SDK", "LigdiCash", "Opérateur mobile money"),
    "en": ("Customer (browser)", "Your server + SDK", "LigdiCash", "Mobile money operator"),
}
CUSTOMER, SERVER, LIGDICASH, OPERATOR = range(4)
STEPS = (
    Step(CUSTOMER, SERVER, "valide la commande", "places the order"),
    Step(
        SERVER, LIGDICASH, "invoice.pay_with_redirection(...)", "invoice.pay_with_redirection(...)"
    ),
    Step(LIGDICASH, SERVER, "token + URL de la page", "token + payment page URL", reply=True),
    Step(SERVER, None, "enregistre le token", "stores the token", highlight=True),
    Step(SERVER, CUSTOMER, "redirection (jamais d'iframe)", "redirect (never an iframe)", True),
    Step(CUSTOMER, LIGDICASH, "page de paiement : numéro, OTP", "payment page: number, OTP"),
    Step(LIGDICASH, OPERATOR, "débit du client", "debit the customer"),
    Step(OPERATOR, LIGDICASH, "débit confirmé", "debit confirmed", reply=True),
    Step(LIGDICASH, SERVER, "callback n° 1 (formulaire)", "callback #1 (form)"),
    Step(LIGDICASH, SERVER, "callback n° 2 (JSON)", "callback #2 (JSON)"),
    Step(
        SERVER,
        None,
        "réponse 200 ; le callback n'est pas une preuve",
        "answer 200; a callback is no proof",
    ),
    Step(SERVER, LIGDICASH, "get_transaction(token enregistré)", "get_transaction(stored token)"),
    Step(
        LIGDICASH, SERVER, "completed, montant, custom_data", "completed, amount, custom_data", True
    ),
    Step(
        SERVER, None, "livre la commande une seule fois", "delivers the order once", highlight=True
    ),
    Step(LIGDICASH, CUSTOMER, "retour vers return_url", "back to return_url", reply=True),
)

_COLUMN, _MARGIN, _ROW, _HEAD = 230, 30, 40, 56
_FONT = "font-family='system-ui,-apple-system,Segoe UI,Roboto,sans-serif'"


def _x(actor: int) -> int:
    return _MARGIN + _COLUMN // 2 + actor * _COLUMN


def sequence_svg(language: str) -> str:
    """The payment sequence diagram as a standalone SVG document, labels in ``language``."""
    actors = ACTORS[language]
    width = 2 * _MARGIN + _COLUMN * len(actors)
    top = _MARGIN + _HEAD
    height = top + _ROW * (len(STEPS) + 1) + _HEAD
    title = {
        "fr": "Un paiement hébergé et ses deux callbacks",
        "en": "A hosted payment and its two callbacks",
    }
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}' role='img' {_FONT} font-size='13'>",
        f"<title>{escape(title[language])}</title>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='8' "
        "markerHeight='8' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#333'/></marker></defs>",
        f"<rect width='{width}' height='{height}' fill='#fff'/>",
    ]
    for index, name in enumerate(actors):
        x = _x(index)
        for y in (_MARGIN, height - _MARGIN - _HEAD + 12):
            parts.append(
                f"<rect x='{x - 100}' y='{y}' width='200' height='{_HEAD - 16}' rx='6' "
                "fill='#fbe9e7' stroke='#bf360c'/>"
                f"<text x='{x}' y='{y + 25}' text-anchor='middle' font-weight='600'>"
                f"{escape(name)}</text>"
            )
        parts.append(
            f"<line x1='{x}' y1='{top - 16}' x2='{x}' y2='{height - _MARGIN - _HEAD + 12}' "
            "stroke='#999' stroke-dasharray='4 4'/>"
        )
    for row, step in enumerate(STEPS, start=1):
        y = top + row * _ROW
        label = escape(getattr(step, language))
        if step.target is None:
            x = _x(step.source)
            fill = "#fff3c4" if step.highlight else "#eceff1"
            half = max(110, len(label) * 7 // 2 + 12)  # ~7 px per character at 12 px
            parts.append(
                f"<rect x='{x - half}' y='{y - 16}' width='{2 * half}' height='24' rx='4' "
                f"fill='{fill}' "
                "stroke='#8d6e63'/>"
                f"<text x='{x}' y='{y + 1}' text-anchor='middle' font-size='12'>{label}</text>"
            )
            continue
        x1, x2 = _x(step.source), _x(step.target)
        dash = " stroke-dasharray='6 4'" if step.reply else ""
        parts.append(
            f"<line x1='{x1}' y1='{y}' x2='{x2}' y2='{y}' stroke='#333' stroke-width='1.4'"
            f"{dash} marker-end='url(#arrow)'/>"
            f"<text x='{(x1 + x2) // 2}' y='{y - 6}' text-anchor='middle'>{label}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --- the screenshots -------------------------------------------------------------------------


LOCALES = {"fr": "fr-FR", "en": "en-US"}


def take_screenshots(out: Path) -> list[Path]:
    """Screenshot the sandbox's hosted payment page and dashboard into ``out/<language>/``,
    once per language: the browser's locale picks the sandbox pages' language."""
    from playwright.sync_api import sync_playwright

    import ligdicash
    from ligdicash.sandbox import Sandbox, SandboxConfig

    with (
        Sandbox(SandboxConfig.fast()) as sandbox,
        ligdicash.Client(
            api_key=sandbox.api_key, auth_token=sandbox.auth_token, base_url=sandbox.base_url
        ) as client,
    ):
        invoice = client.Invoice(
            description="Commande #ORD-20240512",
            customer_firstname="Amadou",
            customer_lastname="Ouedraogo",
            store_name="MySuperStore",
            store_website_url="https://mysuperstore.com",
        )
        invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
        invoice.add_item(name="Shipping fee", description="", quantity=1, unit_price=1500)
        page_url = invoice.pay_with_redirection(
            return_url="https://mysuperstore.com/order/success",
            cancel_url="https://mysuperstore.com/order/cancel",
            callback_url="https://backend.mysuperstore.com/ligdicash/callback",
            custom_data={"transaction_id": "ORD-20240512"},
        ).response_text
        # A few more transactions so that the dashboard shows each state.
        direct = client.Invoice(description="Commande #ORD-20240513")
        direct.add_item(name="Tea", description="", quantity=1, unit_price=500)
        direct.pay_without_redirection(
            otp="123456",
            customer="22670123456",
            callback_url="https://backend.mysuperstore.com/ligdicash/callback",
        )
        payout = client.Withdrawal(amount=5000, description="Refund", customer="22670123456")
        payout.send(
            type="client",
            callback_url="https://backend.mysuperstore.com/ligdicash/callback-payout",
            custom_data={"transaction_id": "REFUND-1"},
        )

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            made: list[Path] = []
            try:
                for language in LANGUAGES:
                    folder = out / language
                    folder.mkdir(parents=True, exist_ok=True)
                    hosted, dashboard = folder / "hosted-page.png", folder / "dashboard.png"
                    page = browser.new_page(
                        viewport={"width": 900, "height": 700}, locale=LOCALES[language]
                    )
                    page.goto(page_url)
                    page.screenshot(path=str(hosted), full_page=True)
                    page.set_viewport_size({"width": 1200, "height": 600})
                    page.goto(sandbox.url + "/_sandbox/")
                    page.screenshot(path=str(dashboard), full_page=True)
                    page.close()
                    made += [hosted, dashboard]
            finally:
                browser.close()
    return made


# --- entry points ----------------------------------------------------------------------------

SCREENSHOTS = ("hosted-page.png", "dashboard.png")
DIAGRAM = "payment-sequence.svg"


def expected_files(site: Path = SITE) -> list[Path]:
    """Every file this script makes."""
    return [
        site / language / GENERATED / name
        for language in LANGUAGES
        for name in (DIAGRAM, *SCREENSHOTS)
    ]


def screenshot_digest() -> str:
    """A digest of what the screenshots show (see :data:`SCREENSHOT_SOURCES`)."""
    from ligdicash._i18n import LANGUAGES as MESSAGE_LANGUAGES
    from ligdicash._i18n import message, message_keys

    digest = hashlib.sha256()
    for name in SCREENSHOT_SOURCES:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    for language in MESSAGE_LANGUAGES:
        for key in sorted(k for k in message_keys() if k.startswith(SCREENSHOT_MESSAGES)):
            digest.update(f"{language}:{key}={message(language, key)}\0".encode())
    return digest.hexdigest()


def stale(site: Path = SITE) -> list[str]:
    """What is out of date among the committed pictures, as sentences (empty: all fresh)."""
    found = []
    for path in expected_files(site):
        if not path.exists():
            found.append(f"{path.relative_to(site)} is missing")
    for language in LANGUAGES:
        svg = site / language / GENERATED / DIAGRAM
        if svg.exists() and svg.read_text("utf-8") != sequence_svg(language):
            found.append(f"{svg.relative_to(site)} differs from what the script draws")
    recorded = STAMP.read_text("utf-8").strip() if STAMP.exists() else ""
    if recorded != screenshot_digest():
        found.append(
            "the screenshots are older than the sandbox's page or dashboard "
            f"({STAMP.relative_to(ROOT)} does not match)"
        )
    return found


def can_take_screenshots() -> bool:
    """Playwright installed and a Chromium to drive."""
    import importlib.util

    return importlib.util.find_spec("playwright") is not None and Path(CHROMIUM).exists()


def generate(site: Path = SITE, *, only_missing: bool = False) -> list[Path]:
    """Make the pictures under ``site`` (all, or only the missing ones); return those made.

    Raises:
        RuntimeError: a screenshot is to be made and Playwright or Chromium is missing.
    """
    made: list[Path] = []
    for language in LANGUAGES:
        out = site / language / GENERATED
        out.mkdir(parents=True, exist_ok=True)
        svg = out / DIAGRAM
        if not (only_missing and svg.exists()):
            svg.write_text(sequence_svg(language), encoding="utf-8")
            made.append(svg)
    missing = [path for path in expected_files(site) if path.name in SCREENSHOTS]
    if not (only_missing and all(path.exists() for path in missing)):
        if not can_take_screenshots():
            raise RuntimeError(
                "the screenshots need playwright (pip install -e . --group dev) and Chromium "
                f"at {CHROMIUM} (apt install chromium, or LIGDICASH_CHROMIUM=...)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            for shot in take_screenshots(Path(tmp)):
                target = site / shot.parent.name / GENERATED / shot.name
                shutil.copyfile(shot, target)
                made.append(target)
        if site == SITE:
            STAMP.write_text(screenshot_digest() + "\n", encoding="utf-8")
    return made


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-missing", action="store_true", help="keep existing pictures")
    parser.add_argument("--site", type=Path, default=SITE, help="the site's docs_dir")
    parser.add_argument("--check", action="store_true", help="only say what is stale (exit 1)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"stale: {problem}; run python scripts/docs_assets.py", file=sys.stderr)
        return 1 if problems else 0
    for path in generate(args.site, only_missing=args.only_missing):
        print(f"  {path.relative_to(ROOT) if ROOT in path.parents else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
