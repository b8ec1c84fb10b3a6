"""The sandbox's default wire: the payloads developers.ligdicash.com documents.

Each shape is compared with the provider's documented payload in
``tests/fixtures/provider/`` (same keys, same value types), then read back by the SDK.
The older shapes stay available as ``SandboxConfig(wire="legacy")`` (the rest of this
folder's tests spell them out).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, create, payin_body, payout_body

import ligdicash
from ligdicash.sandbox import CallbackReceiver, ReceivedCallback, Sandbox, SandboxConfig

sys.path.insert(0, str(Path(__file__).parent.parent))
from provider_payloads import payload

HOSTED = "redirect/checkout-invoice/create"
PAYOUT = {"client_payout": "withdrawal/create", "merchant_payout": "straight/payout"}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def documented() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig.fast()) as sandbox:
        yield sandbox


@pytest.fixture
def api(documented: Sandbox) -> Iterator[httpx.Client]:
    documented.reset()
    with httpx.Client(
        base_url=documented.base_url, headers=documented.auth_headers, trust_env=False
    ) as client:
        yield client


def by_type(calls: list[ReceivedCallback]) -> dict[str, ReceivedCallback]:
    return {c.content_type.split(";")[0]: c for c in calls}


def types_of(data: dict[str, Any]) -> dict[str, str]:
    return {k: type(v).__name__ for k, v in data.items()}


def test_the_default_wire_is_the_documented_one() -> None:
    assert SandboxConfig().wire == "documented"
    with pytest.raises(ValueError, match="wire"):
        SandboxConfig(wire="other")  # type: ignore[arg-type]


def payin_callbacks(
    documented: Sandbox, api: httpx.Client, status: str
) -> tuple[str, dict[str, ReceivedCallback]]:
    with CallbackReceiver() as rx:
        body = payin_body()
        body["commande"]["actions"]["callback_url"] = rx.callback_url
        token: str = create(api, HOSTED, body)["token"]
        documented.set_status(token, status)
        return token, by_type(rx.wait_for(2))


def test_a_payin_callback_has_the_documented_fields_and_types(
    documented: Sandbox, api: httpx.Client
) -> None:
    _, calls = payin_callbacks(documented, api, "completed")
    sent = json.loads(calls[JSON].body)
    expected = payload("payin_callback")
    expected.pop("customer_details")  # the sandbox's payins carry no customer details
    assert types_of(sent) == types_of(expected)
    assert sent["token"] == ""
    assert sent["status"] == "completed"
    assert (sent["amount"], sent["montant"]) == (31500, 31500)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", sent["date"])
    assert re.fullmatch(r"P\d{13}", sent["request_id"])
    assert [r["keyof_customdata"] for r in sent["custom_data"]] == [
        "transaction_id",
        "hash",
        "logfile",
    ]
    assert sent["external_id"] == "ORD-20240512"


def test_the_form_copy_carries_custom_data_as_stringified_json(
    documented: Sandbox, api: httpx.Client
) -> None:
    _, calls = payin_callbacks(documented, api, "completed")
    form = calls[FORM]
    assert not any(key.startswith("custom_data[") for key in form.fields)
    records = json.loads(form.fields["custom_data"])
    assert records == json.loads(calls[JSON].body)["custom_data"]


def test_a_failed_payin_says_notcompleted_and_the_sdk_reads_both_copies(
    documented: Sandbox, api: httpx.Client
) -> None:
    token, calls = payin_callbacks(documented, api, "notcompleted")
    for call in calls.values():
        callback = ligdicash.parse_callback(call.body.encode(), call.content_type)
        assert (callback.raw_status, callback.status) == ("notcompleted", "cancelled")
        assert callback.token == ""
        assert callback.order_id == "ORD-20240512"
        assert callback.custom_data == {"transaction_id": "ORD-20240512"}
        assert callback.hash_matches(api_key=documented.api_key, auth_token=documented.auth_token)
    status = confirm(api, "payin", token)
    assert status["token"] == ""
    assert status["status"] == "notcompleted"


def test_the_payin_status_answer_has_the_documented_fields(
    documented: Sandbox, api: httpx.Client
) -> None:
    token, _ = payin_callbacks(documented, api, "completed")
    answer = confirm(api, "payin", token)
    expected = payload("payin_confirm")
    expected.pop("customer_details")
    assert types_of(answer) == types_of(expected)
    assert answer["token"] == ""
    with ligdicash.Client(
        api_key=documented.api_key, auth_token=documented.auth_token, base_url=documented.base_url
    ) as client:
        transaction = client.get_transaction(token)
    assert transaction.token == token  # the token it was asked about
    assert transaction.amount == 31500
    assert transaction.custom_data == {"transaction_id": "ORD-20240512"}
    assert set(transaction.provider_data) == {"hash", "logfile"}


@pytest.mark.parametrize("kind", list(PAYOUT))
def test_a_payout_callback_and_status_answer_have_the_documented_fields(
    documented: Sandbox, api: httpx.Client, kind: str
) -> None:
    with CallbackReceiver() as rx:
        body = payout_body(callback_url=rx.callback_url, client=kind == "client_payout")
        token: str = create(api, PAYOUT[kind], body)["token"]
        calls = by_type(rx.wait_for(2))
    sent = json.loads(calls[JSON].body)
    assert set(sent) == set(payload("payout_callback"))
    assert sent["custom_data"] == []
    assert sent["transaction_id"] == sent["external_id"] == "REFUND-20240512"
    assert (sent["amount"], sent["montant"]) == ("5000", "5000")
    assert sent["token"] not in ("", token)
    assert calls[FORM].fields["custom_data"] == "[]"
    for call in calls.values():
        callback = ligdicash.parse_callback(call.body.encode(), call.content_type)
        assert callback.order_id == "REFUND-20240512"
        assert callback.amount == 5000
    answer = confirm(api, kind, token)
    assert set(answer) == set(payload("withdrawal_confirm"))
    assert answer["custom_data"] == []
    assert answer["token"] == token


def test_the_sandbox_command_offers_the_wire_profiles() -> None:
    from click.testing import CliRunner

    from ligdicash._cli import build_cli

    shown = CliRunner().invoke(build_cli(), ["sandbox", "--help"])
    assert "--wire [documented|legacy]" in shown.output
    refused = CliRunner().invoke(build_cli(), ["sandbox", "--wire", "php"])
    assert refused.exit_code == 2


def test_serve_hands_the_wire_profile_to_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    from ligdicash.sandbox import _cli_runner

    seen: list[SandboxConfig] = []

    class Stop(Exception):
        pass

    def capture(config: SandboxConfig, **_: Any) -> Any:
        seen.append(config)
        raise Stop

    monkeypatch.setattr(_cli_runner, "SandboxApp", capture)
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "db": ":memory:",
        "platform": "live",
        "api_key": None,
        "auth_token": None,
        "balance": None,
        "fast": True,
        "public_url": None,
        "http_impl": "auto",
    }
    with pytest.raises(Stop):
        _cli_runner.serve(None, wire="legacy", **options)
    assert [c.wire for c in seen] == ["legacy"]


PLUGIN_SUITE = """
def test_the_plugin_sandbox_speaks_the_configured_wire(ligdicash_sandbox):
    assert ligdicash_sandbox.config.wire == "legacy"
"""


def test_the_pytest_plugin_reads_the_wire_from_the_ini_file(tmp_path: Path) -> None:
    import os
    import subprocess

    (tmp_path / "test_user.py").write_text(PLUGIN_SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nligdicash_sandbox_wire = legacy\n")
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_payout_to_the_wallet_names_it_as_the_operator_pages_do(
    documented: Sandbox, api: httpx.Client
) -> None:
    # Supported operators page: the LigdiCash Wallet is operator_id "-", name "LIGDICASH".
    with CallbackReceiver() as rx:
        body = payout_body(callback_url=rx.callback_url, top_up_wallet=1)
        token: str = create(api, PAYOUT["client_payout"], body)["token"]
        calls = by_type(rx.wait_for(2))
    answer = confirm(api, "client_payout", token)
    sent = json.loads(calls[JSON].body)
    for fields in (answer, sent, calls[FORM].fields):
        assert (fields["operator_id"], fields["operator_name"]) == ("-", "LIGDICASH")


@pytest.mark.parametrize("kind", list(PAYOUT))
def test_a_payout_creation_names_the_documented_wiki_page(api: httpx.Client, kind: str) -> None:
    # The wiki table: createWithdrawal and createStraightWithdrawal.
    answer = create(api, PAYOUT[kind], payout_body(client=kind == "client_payout"))
    page = {"client_payout": "createWithdrawal", "merchant_payout": "createStraightWithdrawal"}
    assert answer["wiki"] == "https://client.ligdicash.com/wiki/" + page[kind]
    assert confirm(api, kind, answer["token"])["wiki"].endswith("createStraightWithdrawal")
