"""Screenshots of the Django admin pages for the docs site, in French and English:
``docs/site/<language>/assets/generated/admin-payments.png`` (the payments list after
"reconcile now") and ``admin-callback.png`` (an inbox entry, its body masked).

Taken by Playwright in Debian's Chromium against the admin tests' small Django project
(``tests/django_admin/admin_project.py``, SQLite in a temporary folder) holding a few rows.
The pictures are committed; ``scripts/admin_screenshots.sha256`` holds a digest of what
they show (the admin's modules, the models, the French catalog, this script), and
``tests/django_admin/test_django_admin_pictures.py`` fails when it no longer matches.

Usage: python scripts/admin_screenshots.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "site"
GENERATED = Path("assets") / "generated"
CHROMIUM = os.environ.get("LIGDICASH_CHROMIUM", "/usr/bin/chromium")
STAMP = ROOT / "scripts" / "admin_screenshots.sha256"
SOURCES = (
    "src/ligdicash/contrib/django/admin.py",
    "src/ligdicash/contrib/django/_admin_display.py",
    "src/ligdicash/contrib/django/_admin_filters.py",
    "src/ligdicash/contrib/django/models.py",
    "src/ligdicash/contrib/django/locale/fr/LC_MESSAGES/django.po",
    "scripts/admin_screenshots.py",
)
SHOTS = ("admin-payments.png", "admin-callback.png")
LANGUAGES = ("fr", "en")


def digest() -> str:
    """A digest of what the screenshots show (see :data:`SOURCES`)."""
    hashed = hashlib.sha256()
    for name in SOURCES:
        hashed.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    return hashed.hexdigest()


def stale() -> list[str]:
    """What is out of date, as sentences (empty: all fresh)."""
    found = [
        f"{language}/{GENERATED}/{name} is missing"
        for language in LANGUAGES
        for name in SHOTS
        if not (SITE / language / GENERATED / name).exists()
    ]
    recorded = STAMP.read_text("utf-8").strip() if STAMP.exists() else ""
    if recorded != digest():
        found.append(
            "the admin screenshots are older than the admin "
            f"({STAMP.relative_to(ROOT)} does not match): python scripts/admin_screenshots.py"
        )
    return found


def _rows() -> tuple[str, str]:
    """A few payments and callbacks, as a shop would have; the payment to reconcile and the
    digest of the callback to show."""
    import json

    from ligdicash._stores._base import inbox_digest
    from ligdicash.contrib.django.models import InboxMessage, TrackedPayment

    now = time.time()
    payments = [
        ("ORD-20240512", "payin", 31500, "pending"),
        ("ORD-20240513", "payin", 500, "completed"),
        ("ORD-20240514", "payin", 12000, "cancelled"),
        ("REFUND-1", "client_payout", 5000, "pending"),
    ]
    for n, (reference, kind, amount, status) in enumerate(payments):
        TrackedPayment.objects.create(
            reference=reference,
            kind=kind,
            amount=amount,
            token=f"eyJ0eXAiOiJKV1QiLCJhbGciOi{n}JIUzI1NiJ9.payload.sig{n}Xz9",
            status=status,
            created_at=now - 3600 + n * 60,
            updated_at=now - 1800 + n * 60,
            next_poll_at=now + 600,
            poll_attempts=n + 1,
            owner="",
            lease_until=0.0,
            note="" if status == "pending" else "confirmed by callback",
        )
    body = json.dumps(
        {
            "token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.callback.tokenXz9",
            "status": "completed",
            "amount": 31500,
            "customer": "22670123456",
            "operator_name": "MOOV AFRICA BURKINA",
            "custom_data": {"transaction_id": "ORD-20240512"},
            "hash": "f918c54d54cdc334ade09f8c228a224b1d3df646250c84dcdd99af528ddcd450",
        }
    ).encode()
    entry = InboxMessage.objects.create(
        digest=inbox_digest(body, "application/json"),
        body=body,
        content_type="application/json",
        received_at=now - 900,
        state="done",
        owner="",
        lease_until=0.0,
        attempts=5,
        deliveries=2,
        outcome="gave_up:failed:status_call_error",
        updated_at=now - 600,
    )
    return "ORD-20240512", entry.digest


def take(out: Path) -> None:
    """Make the screenshots into ``out/<language>/``."""
    sys.path.insert(0, str(ROOT / "tests" / "django_admin"))
    from admin_project import PASSWORD, configure, databases, serve
    from playwright.sync_api import sync_playwright

    folder = tempfile.mkdtemp(prefix="ligdicash-admin-shots-")
    configure(databases("sqlite", sqlite_path=f"{folder}/db.sqlite3", pg_url="", pg_name=""))
    from django.contrib.auth.models import User

    User.objects.create_superuser("operator", password=PASSWORD)
    reference, digest_ = _rows()
    site, stop = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                for language in LANGUAGES:
                    target = out / language
                    target.mkdir(parents=True, exist_ok=True)
                    page = browser.new_page(viewport={"width": 1500, "height": 560})
                    page.context.add_cookies(
                        [{"name": "django_language", "value": language, "url": site}]
                    )
                    page.goto(f"{site}/admin/login/?next=/admin/ligdicash/trackedpayment/")
                    page.fill("#id_username", "operator")
                    page.fill("#id_password", PASSWORD)
                    page.click("input[type=submit]")
                    page.wait_for_url(f"{site}/admin/ligdicash/trackedpayment/")
                    page.locator(f"input[name=_selected_action][value='{reference}']").check()
                    page.select_option("select[name=action]", "reconcile_now")
                    page.click("button[name=index]")
                    page.wait_for_selector(".messagelist .success")
                    page.screenshot(path=str(target / SHOTS[0]), full_page=True)
                    page.set_viewport_size({"width": 1100, "height": 900})
                    page.goto(f"{site}/admin/ligdicash/inboxmessage/{digest_}/change/")
                    page.screenshot(path=str(target / SHOTS[1]), full_page=True)
                    page.close()
            finally:
                browser.close()
    finally:
        stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is stale (exit 1)")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        print("\n".join(problems) or "the admin screenshots are fresh")
        return 1 if problems else 0
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        take(Path(tmp))
        for language in LANGUAGES:
            for name in SHOTS:
                target = SITE / language / GENERATED / name
                shutil.copyfile(Path(tmp) / language / name, target)
                print(f"wrote {target.relative_to(ROOT)}")
    STAMP.write_text(digest() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
