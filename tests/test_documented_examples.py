"""Every example of the documented Python API runs exactly as written.

The examples are read from docs/ligdicash-python-sdk.md (a copy of the provider's page) and
executed verbatim, in order, against the local server; only ``redirect_user`` (the page's
placeholder for the web framework's redirect) is supplied, and ``LIGDICASH_BASE_URL`` points
the SDK at the local server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash

DOC = Path(__file__).parent.parent / "docs" / "ligdicash-python-sdk.md"


def _sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    in_code = False
    block: list[str] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("### "):
            current = line.lstrip("# ").strip()
        if line.strip() == "```python":
            in_code, block = True, []
        elif line.strip() == "```" and in_code:
            in_code = False
            sections.setdefault(current, []).append("\n".join(block))
        elif in_code:
            block.append(line)
    return sections


SECTIONS = _sections()


def test_the_documentation_has_the_examples_we_expect() -> None:
    assert set(SECTIONS) >= {
        "Initialization",
        "Hosted payin",
        "Direct payin",
        "To the customer's LigdiCash wallet",
        "Directly to mobile money",
        "Status verification",
        "Error handling",
    }


@pytest.fixture
def docs_server(fake: FakeLigdicash, monkeypatch: pytest.MonkeyPatch) -> FakeLigdicash:
    # The page's own placeholders are the credentials the local server accepts.
    monkeypatch.setattr(fake, "api_key", "{API_KEY}")
    monkeypatch.setattr(fake, "auth_token", "{AUTH_TOKEN}")
    monkeypatch.setenv("LIGDICASH_BASE_URL", fake.base_url)
    return fake


def run(section: str, namespace: dict[str, Any]) -> dict[str, Any]:
    for code in SECTIONS[section]:
        exec(compile(code, f"<doc: {section}>", "exec"), namespace)
    return namespace


def test_hosted_payin_example_runs_verbatim_and_redirects_to_the_payment_url(
    docs_server: FakeLigdicash,
) -> None:
    redirected: list[str] = []
    ns = run("Initialization", {})
    ns["redirect_user"] = redirected.append
    run("Hosted payin", ns)
    assert redirected == [ns["response"].response_text]
    assert redirected[0].startswith("http://127.0.0.1:")
    sent = docs_server.requests[-1]
    assert sent.path.endswith("/redirect/checkout-invoice/create")
    assert sent.headers["apikey"] == "{API_KEY}"
    assert sent.headers["authorization"] == "Bearer {AUTH_TOKEN}"
    invoice = sent.json["commande"]["invoice"]
    assert invoice["total_amount"] == 31500
    assert invoice["items"][0] == {
        "name": "Kente shirt",
        "description": "Size M",
        "quantity": 2,
        "unit_price": 15000,
        "total_price": 30000,
    }
    assert sent.json["commande"]["custom_data"] == {"transaction_id": "ORD-20240512"}


def test_direct_payin_example_runs_verbatim_and_sends_phone_and_otp(
    docs_server: FakeLigdicash,
) -> None:
    ns = run("Direct payin", run("Initialization", {}))
    assert ns["token"] == ns["response"].token != ""
    invoice = docs_server.requests[-1].json["commande"]["invoice"]
    assert (invoice["customer"], invoice["otp"]) == ("22670123456", "123456")
    assert docs_server.requests[-1].json["commande"]["actions"] == {
        "cancel_url": "",
        "return_url": "",
        "callback_url": "https://backend.mysuperstore.com/ligdicash/callback",
    }


def test_payout_examples_run_verbatim_on_both_endpoints(docs_server: FakeLigdicash) -> None:
    ns = run("To the customer's LigdiCash wallet", run("Initialization", {}))
    run("Directly to mobile money", ns)
    client_payout, merchant_payout = docs_server.requests[-2:]
    assert client_payout.path.endswith("/withdrawal/create")
    assert client_payout.json["commande"]["top_up_wallet"] == 0
    assert client_payout.json["commande"]["amount"] == 5000
    assert merchant_payout.path.endswith("/straight/payout")
    assert "top_up_wallet" not in merchant_payout.json["commande"]


def test_status_example_runs_verbatim_and_reads_the_documented_fields(
    docs_server: FakeLigdicash,
) -> None:
    ns = run("Status verification", run("Initialization", {}))
    transaction = ns["transaction"]
    assert transaction.status == "completed"
    assert docs_server.requests[-1].query == {"invoiceToken": ["eyJ0eXAiOiJ..."]}
    documented = {
        "status": str,
        "response_code": str,
        "amount": int,
        "operator_id": str,
        "operator_name": str,
        "customer": str,
        "token": str,
        "custom_data": dict,
        "wiki": list,
    }
    for name, kind in documented.items():
        assert isinstance(getattr(transaction, name), kind), name


@pytest.mark.parametrize(
    ("code", "printed"),
    [
        ("00", "Invalid api_key or auth_token"),
        ("01", "Payin is not enabled on this project"),
        ("02", "Amount outside [9; 2,000,000] CFA francs or the operator's limits"),
        ("09", "09: LigdiCash API error"),
    ],
)
def test_error_handling_example_reaches_the_documented_branch(
    docs_server: FakeLigdicash, capsys: pytest.CaptureFixture[str], code: str, printed: str
) -> None:
    from fake_ligdicash import refusal

    ns = run("Hosted payin", run("Initialization", {"redirect_user": lambda url: None}))
    docs_server.push_json(refusal(code))
    run("Error handling", ns)
    assert capsys.readouterr().out.strip() == printed


def test_documented_error_classes_all_exist_and_inherit_from_ligdicash_error() -> None:
    table = re.findall(r"^\| (\w+Error) \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(table) == 12
    for name in table:
        assert issubclass(getattr(ligdicash, name), ligdicash.LigdicashError), name


# --- each example alone, in a fresh interpreter, as a reader copies it ----------------------

# The provider's page is kept verbatim, so its blocks cannot gain definitions. These are the
# only names a block may use without defining them, and where the page has them from:
# ``redirect_user`` is the page's stand-in for the web framework's redirect, and two blocks
# go on from the one before them (the page's flow: "Directly to mobile money" sends the
# ``withdrawal`` of the wallet payout; "Error handling" wraps the hosted payin's call).
PLACEHOLDERS = {"redirect_user": "def redirect_user(url):\n    print(url)\n"}
CONTINUES = {
    "Directly to mobile money": "To the customer's LigdiCash wallet",
    "Error handling": "Hosted payin",
}


def _undefined_names(code: str) -> set[str]:
    import builtins
    import symtable

    table = symtable.symtable(code, "<doc>", "exec")
    return {
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_referenced()
        and not symbol.is_assigned()
        and not symbol.is_imported()
        and not hasattr(builtins, symbol.get_name())
    }


def test_a_documented_block_uses_no_name_but_its_own_and_the_listed_ones() -> None:
    for section, blocks in SECTIONS.items():
        for code in blocks:
            allowed = set(PLACEHOLDERS)
            if section in CONTINUES:
                for earlier in SECTIONS[CONTINUES[section]]:
                    allowed |= set(compile(earlier, section, "exec").co_names)
            assert _undefined_names(code) <= allowed, (section, _undefined_names(code))


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_each_documented_example_runs_alone_in_a_fresh_interpreter(
    docs_server: FakeLigdicash, tmp_path: Path, section: str
) -> None:
    import os
    import subprocess
    import sys

    parts = [PLACEHOLDERS["redirect_user"]]
    if section in CONTINUES:
        parts += SECTIONS[CONTINUES[section]]
    parts += SECTIONS[section]
    script = tmp_path / "example.py"
    script.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LIGDICASH_API", "LIGDICASH_AUTH"))
    }
    env.update(
        LIGDICASH_API_KEY="{API_KEY}",
        LIGDICASH_AUTH_TOKEN="{AUTH_TOKEN}",
        LIGDICASH_BASE_URL=docs_server.base_url,
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert docs_server.requests or section == "Initialization"
