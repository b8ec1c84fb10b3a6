"""The documentation site builds with ``mkdocs build --strict`` and works in a browser.

The site is built once per module into a temporary directory, the way Read the Docs builds
it: from the ``docs`` dependency group alone (Playwright made unimportable: the pictures are
committed, and ``tests/docs/test_assets.py`` keeps them fresh), then served by a stdlib HTTP
server on a free loopback port, and opened in
Debian's headless Chromium: every page of both languages must load with no console error,
no failed request and no request leaving the machine (the theme must work offline). Three
pages per language are screenshotted (into ``$LIGDICASH_DOCS_SCREENSHOTS`` when set, to look
at them; a temporary directory otherwise).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("mkdocs", reason="the site's toolchain (dependency group docs) needs 3.11+")

from ligdicash._codes import TABLES

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PAGES = (
    "",
    "getting-started/",
    "hosted-payin/",
    "direct-payin/",
    "status/",
    "sandbox/",
    "errors/",
    "security/",
    "migration/",
    "reference/",
    "reference/clients/",
    "reference/errors/",
    "reference/sandbox/",
)
SCREENSHOTS = ("", "hosted-payin/", "errors/")
# ``mkdocs`` with Playwright unimportable: what a machine with only the docs group has.
WITHOUT_PLAYWRIGHT = (
    "import sys; sys.modules['playwright'] = None; "
    "from mkdocs.__main__ import cli; sys.argv[0] = 'mkdocs'; cli()"
)
PREFIX = {"fr": "", "en": "en/"}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PLAYWRIGHT, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return site


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.slow
def test_the_site_builds_strict_with_every_page_in_both_languages(built_site: Path) -> None:
    for language, prefix in PREFIX.items():
        for page in PAGES:
            html = (built_site / prefix / page / "index.html").read_text("utf-8")
            assert f'<html lang="{language}"' in html, (language, page)


@pytest.mark.slow
def test_the_refusal_table_lists_every_code_of_every_family(built_site: Path) -> None:
    for prefix in PREFIX.values():
        html = (built_site / prefix / "errors" / "index.html").read_text("utf-8")
        codes = {code for table in TABLES.values() for code in table}
        for code in codes:
            assert re.search(rf"<td><code>{code}</code></td>", html), (prefix, code)
        for table in TABLES.values():
            for cls in set(table.values()):
                assert f'href="../reference/errors/#ligdicash.{cls.__name__}"' in html


@pytest.mark.slow
def test_the_site_loads_no_font_script_or_style_from_another_host(built_site: Path) -> None:
    external = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"')
    for html_file in built_site.rglob("*.html"):
        for url in external.findall(html_file.read_text("utf-8")):
            # Canonical and alternate-language links name the published site; they load nothing.
            assert "ligdicash-python.readthedocs.io" in url, (html_file, url)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(PREFIX))
def test_every_page_opens_in_chromium_with_no_console_error(
    site_url: str, language: str, tmp_path: Path
) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("LIGDICASH_DOCS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    offsite: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on(
                "response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}")
            )

            def only_loopback(route: Any) -> None:
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    offsite.append(route.request.url)
                    route.abort()

            page.route("**/*", only_loopback)
            for path in PAGES:
                url = site_url + PREFIX[language] + path
                response = page.goto(url)
                assert response is not None
                assert response.status == 200, url
                page.wait_for_load_state("networkidle")
                assert page.locator("html").get_attribute("lang") == language
                broken = page.evaluate(
                    "[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                    ".map(i => i.src)"
                )
                assert broken == [], (url, broken)
                if path in SCREENSHOTS:
                    name = f"{language}-{path.strip('/').replace('/', '-') or 'home'}.png"
                    page.screenshot(path=str(shots / name), full_page=False)
        finally:
            browser.close()
    assert problems == []
    assert offsite == []
    assert len(list(shots.glob(f"{language}-*.png"))) >= 3


@pytest.mark.browser
@pytest.mark.slow
def test_the_language_switcher_leads_to_the_same_page_in_english(site_url: str) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            page.goto(site_url + "errors/")
            page.wait_for_load_state("networkidle")
            # The selector's link leads to the same page in the other language.
            page.locator('a[hreflang="en"]').first.dispatch_event("click")
            page.wait_for_url("**/en/errors/")
            assert page.locator("html").get_attribute("lang") == "en"
        finally:
            browser.close()
