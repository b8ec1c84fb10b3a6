"""The French screens read as French: agreement on the dashboard, amounts as French writes
them in the payouts command (issue 20: ``5,015 XOF`` and "les plus récents" of transactions)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from ligdicash.sandbox import Sandbox, SandboxConfig

MAIN = "from ligdicash._cli import main; main()"


def test_the_french_dashboard_makes_transactions_feminine_and_deliveries_masculine() -> None:
    with Sandbox(SandboxConfig.fast()) as sandbox:
        html = httpx.get(sandbox.url + "/_sandbox/?lang=fr", timeout=10).text
    assert "<h2>Transactions <small>(les plus récentes d'abord)</small></h2>" in html
    assert "<h2>Envois de callbacks <small>(les plus récents d'abord)</small></h2>" in html
    assert "Transactions <small>(les plus récents" not in html


def test_the_payouts_command_writes_french_amounts_in_french(tmp_path: Path) -> None:
    batch = tmp_path / "payouts.csv"
    batch.write_text(
        "reference;phone;amount\nPAY-1;22670123456;5000\nPAY-2;22670123457;15\n", "utf-8"
    )
    with Sandbox(SandboxConfig.fast()) as sandbox:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LIGDICASH_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")
        }
        env.update(
            LIGDICASH_API_KEY=sandbox.api_key,
            LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
            LIGDICASH_BASE_URL=sandbox.base_url,
            LIGDICASH_DATA_DIR=str(tmp_path / "data"),
        )
        result = subprocess.run(
            [sys.executable, "-c", MAIN, "payouts", "run", str(batch), "--lang", "fr"],
            input="o\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=180,
            check=False,
        )
    out = result.stdout + result.stderr
    assert "5\u202f015 XOF au total" in out, out
    assert "Envoyer 2 transferts, 5\u202f015 XOF ? [o/N]" in out, out
    assert "5,015" not in out
    assert result.returncode == 0, out


def test_the_payment_page_and_dashboard_write_amounts_the_way_their_language_does() -> None:
    import ligdicash

    with (
        Sandbox(SandboxConfig.fast()) as sandbox,
        ligdicash.Client(
            api_key=sandbox.api_key, auth_token=sandbox.auth_token, base_url=sandbox.base_url
        ) as client,
    ):
        invoice = client.Invoice(description="Commande #1")
        invoice.add_item(name="Chemise", description="", quantity=2, unit_price=15750)
        url = invoice.pay_with_redirection(
            return_url="https://shop.example/ok",
            cancel_url="https://shop.example/annule",
            callback_url="https://shop.example/ligdicash/callback",
        ).response_text
        french = httpx.get(url, params={"lang": "fr"}, timeout=10).text
        english = httpx.get(url, params={"lang": "en"}, timeout=10).text
        dashboard = httpx.get(sandbox.url + "/_sandbox/?lang=fr", timeout=10).text
    assert "id=total>31\u202f500 XOF" in french
    assert "id=total>31,500 XOF" in english
    assert "<td class=n>31\u202f500</td>" in dashboard
