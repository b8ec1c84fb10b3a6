"""The LigdiCash Wallet flow through the SDK: ``Invoice.send_wallet_otp`` (``GET
/pay/v02/debitotp/{phone}/{amount}``) then ``Invoice.pay_with_wallet_otp`` (``POST
/pay/v02/debitwallet/withotp``), sync, async and module-level, on the real sandbox; the
provider's documented shapes (tests/fixtures/provider/wallet_*.json) on a scripted server.

The flow runs under every wire profile the sandbox has (``SandboxConfig.wire``, when that
field exists: "documented" and "legacy"); the wallet endpoints themselves have one shape.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted
from ligdicash.sandbox import Sandbox, SandboxConfig
from sdk_helpers import documented_invoice

WALLET = "22670123456"
TOTAL = 31500  # the documented example invoice's total
PROVIDER = Path(__file__).parent / "fixtures" / "provider"


def provider(name: str) -> Any:
    """The documented payload of fixture ``name`` (``source``, ``quoted``, ``payload``)."""
    return json.loads((PROVIDER / f"{name}.json").read_text(encoding="utf-8"))["payload"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sandbox_client(sandbox: Sandbox, **kwargs: Any) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        **kwargs,
    )


def sandbox_async(sandbox: Sandbox, **kwargs: Any) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        api_key=sandbox.api_key,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        **kwargs,
    )


@pytest.fixture
def sb_client(ligdicash_sandbox: Sandbox) -> Iterator[ligdicash.Client]:
    with sandbox_client(ligdicash_sandbox) as client:
        yield client


# The sandbox's wire profiles, where it has them (None: the only shape it has).
WIRES = (
    ["documented", "legacy"]
    if "wire" in {f.name for f in dataclasses.fields(SandboxConfig)}
    else [None]
)


@pytest.fixture(scope="module", params=WIRES)
def _wire_server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    wire = {"wire": request.param} if request.param else {}
    with Sandbox(SandboxConfig.fast(**wire)) as sandbox:
        yield sandbox


@pytest.fixture
def wire_sandbox(_wire_server: Sandbox) -> Sandbox:
    """A sandbox of each wire profile, wiped for this test."""
    _wire_server.reset()
    return _wire_server


# -- the whole flow on the sandbox ------------------------------------------------------------


def test_the_wallet_flow_pays_an_invoice_sync(wire_sandbox: Sandbox) -> None:
    with sandbox_client(wire_sandbox) as client:
        _pay_by_wallet(wire_sandbox, client)


def _pay_by_wallet(sandbox: Sandbox, sb_client: ligdicash.Client) -> None:
    invoice = documented_invoice(sb_client.Invoice)
    sent = invoice.send_wallet_otp(customer="+226 70 12 34 56")
    assert isinstance(sent, ligdicash.WalletOtpResponse)
    assert sent.message == "OTP sent. Please check your phone."

    otp = sandbox.wallet_otp(WALLET, TOTAL)  # what the customer reads
    response = invoice.pay_with_wallet_otp(
        otp=otp,
        customer=WALLET,
        callback_url="http://127.0.0.1:9/callback",
        custom_data={"transaction_id": "ORD-WALLET-1"},
    )
    assert response.response_code == "00"
    assert response.token
    transaction = sb_client.wait_for_transaction(response.token, "payin", interval=0, timeout=10)
    assert transaction.is_completed
    assert transaction.amount == TOTAL
    assert transaction.custom_data["transaction_id"] == "ORD-WALLET-1"
    # The operator pages name the wallet "LIGDICASH" (operator_id "-"); the legacy wire kept
    # the sandbox's older "LigdiCash Wallet".
    documented = sandbox.config.wire == "documented"
    assert transaction.operator_name == ("LIGDICASH" if documented else "LigdiCash Wallet")
    assert transaction.operator_id == ("-" if documented else "LIGDICASH")


@pytest.mark.anyio
async def test_the_wallet_flow_pays_an_invoice_async(wire_sandbox: Sandbox) -> None:
    async with sandbox_async(wire_sandbox) as client:
        invoice = documented_invoice(client.Invoice)
        sent = await invoice.send_wallet_otp(WALLET)
        assert sent.message
        otp = wire_sandbox.wallet_otp(WALLET, TOTAL)
        response = await invoice.pay_with_wallet_otp(
            otp=otp, customer=WALLET, custom_data={"transaction_id": "ORD-WALLET-A"}
        )
        transaction = await client.wait_for_transaction(
            response.token, "payin", interval=0, timeout=10
        )
    assert transaction.is_completed


def test_the_module_level_invoice_runs_the_wallet_flow(
    ligdicash_sdk: Any, ligdicash_sandbox: Sandbox
) -> None:
    invoice = documented_invoice(ligdicash_sdk.Invoice)
    invoice.send_wallet_otp(customer=WALLET)
    response = invoice.pay_with_wallet_otp(
        otp=ligdicash_sandbox.wallet_otp(WALLET, TOTAL), customer=WALLET
    )
    assert ligdicash_sdk.get_transaction(response.token, "payin").status in (
        "pending",
        "completed",
    )


# -- the customer's side refused: named errors ----------------------------------------------


def test_a_wrong_otp_raises_wrong_otp_error(wire_sandbox: Sandbox) -> None:
    with sandbox_client(wire_sandbox) as client:
        invoice = documented_invoice(client.Invoice)
        invoice.send_wallet_otp(WALLET)
        right = wire_sandbox.wallet_otp(WALLET, TOTAL)
        wrong = "000000" if right != "000000" else "111111"
        with pytest.raises(ligdicash.WrongOtpError) as info:
            invoice.pay_with_wallet_otp(otp=wrong, customer=WALLET)
        # The customer retypes the right code: it still works.
        assert invoice.pay_with_wallet_otp(otp=right, customer=WALLET).token
    assert isinstance(info.value, ligdicash.WalletOtpError)
    assert isinstance(info.value, ligdicash.RequestRefusedError)
    assert info.value.code == "15"
    assert wrong not in repr(info.value.request_record)


@pytest.mark.anyio
async def test_an_expired_otp_raises_expired_otp_error(make_sandbox_for_sdk: Any) -> None:
    sandbox = make_sandbox_for_sdk(SandboxConfig.fast(wallet_otp_ttl=0))
    async with sandbox_async(sandbox) as client:
        invoice = documented_invoice(client.Invoice)
        await invoice.send_wallet_otp(WALLET)
        with pytest.raises(ligdicash.ExpiredOtpError) as info:
            await invoice.pay_with_wallet_otp(
                otp=sandbox.wallet_otp(WALLET, TOTAL), customer=WALLET
            )
    assert info.value.code == "16"
    assert sandbox.transactions() == []


def test_an_unknown_wallet_raises_wallet_otp_not_sent(sb_client: ligdicash.Client) -> None:
    invoice = documented_invoice(sb_client.Invoice)
    with pytest.raises(ligdicash.WalletOtpNotSentError) as info:
        invoice.send_wallet_otp("22670000404")
    assert "no LigdiCash wallet" in info.value.message
    assert info.value.response_text == "This number has no LigdiCash wallet"
    assert info.value.request_may_have_been_sent is False
    # The record shows the number masked, not whole.
    assert "22670000404" not in info.value.request_record.url  # type: ignore[union-attr]


def test_a_number_without_wallet_raises_wrong_wallet_credentials(
    sb_client: ligdicash.Client,
) -> None:
    invoice = documented_invoice(sb_client.Invoice)
    with pytest.raises(ligdicash.WrongWalletCredentialsError) as info:
        invoice.pay_with_wallet_otp(otp="123456", customer="22670000404")
    assert info.value.code == "14"


@pytest.fixture
def make_sandbox_for_sdk() -> Iterator[Any]:
    started: list[Sandbox] = []

    def make(config: SandboxConfig) -> Sandbox:
        sandbox = Sandbox(config).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


# -- refused before anything leaves -----------------------------------------------------------


BAD_INPUT = [
    lambda inv: inv.send_wallet_otp(""),
    lambda inv: inv.send_wallet_otp("226-70-ABC"),
    lambda inv: inv.pay_with_wallet_otp(otp="", customer=WALLET),
    lambda inv: inv.pay_with_wallet_otp(otp="  ", customer=WALLET),
    lambda inv: inv.pay_with_wallet_otp(otp="123456", customer=""),
    lambda inv: inv.pay_with_wallet_otp(otp="\ud800", customer=WALLET),
]


@pytest.mark.parametrize("call", BAD_INPUT)
def test_bad_input_is_refused_before_sending(
    client: ligdicash.Client, fake: FakeLigdicash, call: Any
) -> None:
    invoice = documented_invoice(client.Invoice)
    with pytest.raises(ligdicash.InvalidRequestError):
        call(invoice)
    assert fake.requests == []


def test_the_amount_is_checked_before_the_otp_is_requested(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    empty = client.Invoice(description="nothing yet")
    with pytest.raises(ligdicash.InvalidRequestError, match="no items"):
        empty.send_wallet_otp(WALLET)
    huge = client.Invoice(description="too much")
    huge.add_item(name="Car", description="", quantity=1000, unit_price=1_000_000_000)
    with pytest.raises(ligdicash.InvalidAmountError):
        huge.send_wallet_otp(WALLET)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("root", "v02"),
    [
        ("https://app.ligdicash.com/pay/v01/", "https://app.ligdicash.com/pay/v02/"),
        ("https://test.ligdicash.com/pay/v01/", "https://test.ligdicash.com/pay/v02/"),
        ("http://127.0.0.1:8765/pay/v01", "http://127.0.0.1:8765/pay/v02/"),
    ],
)
def test_the_v02_root_is_derived_from_the_api_root(root: str, v02: str) -> None:
    from ligdicash._pipeline import api_root

    assert api_root(root, "v02") == v02
    assert api_root(root, "v01") == root


def test_an_api_root_without_v01_cannot_reach_the_wallet_endpoints(fake: FakeLigdicash) -> None:
    root = fake.base_url.replace("/pay/v01/", "/api/")
    with ligdicash.Client(api_key="k", auth_token="t", base_url=root) as client:
        invoice = documented_invoice(client.Invoice)
        with pytest.raises(ligdicash.ConfigurationError, match="/v01/"):
            invoice.send_wallet_otp(WALLET)
    assert fake.requests == []


# -- the provider's documented shapes ---------------------------------------------------------


def test_the_documented_debitotp_answer_reads_into_a_wallet_otp_response(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    documented = provider("wallet_debitotp_success")
    fake.push_json(documented)
    sent = documented_invoice(client.Invoice).send_wallet_otp("+22670123456")
    assert sent.message == "OTP sent. Please check your phone."
    assert sent.raw == documented
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", f"/pay/v02/debitotp/{WALLET}/{TOTAL}")
    assert request.headers["apikey"] == fake.api_key
    assert request.headers["authorization"] == f"Bearer {fake.auth_token}"


def test_the_documented_debitotp_failure_raises_with_the_servers_words(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(provider("wallet_debitotp_error"))
    with pytest.raises(ligdicash.WalletOtpNotSentError) as info:
        documented_invoice(client.Invoice).send_wallet_otp(WALLET)
    assert info.value.response_text == "<string>"
    assert info.value.code == "wallet_otp_not_sent"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("flag", [False, 0, "false", "0"])
def test_a_false_error_flag_in_any_spelling_is_success(
    client: ligdicash.Client, fake: FakeLigdicash, flag: Any
) -> None:
    fake.push_json({"error": flag, "message": "ok"})
    assert documented_invoice(client.Invoice).send_wallet_otp(WALLET).message == "ok"


def test_a_coded_refusal_on_debitotp_is_still_a_refusal(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json({"response_code": "01", "response_text": "Echec (Code00)", "token": ""})
    with pytest.raises(ligdicash.AuthenticationError):
        documented_invoice(client.Invoice).send_wallet_otp(WALLET)


def test_the_wallet_payment_body_has_every_documented_key(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    documented = provider("wallet_withotp_request")["commande"]
    fake.push_json(provider("wallet_withotp_success"))
    response = documented_invoice(client.Invoice).pay_with_wallet_otp(
        otp="482913", customer="+226 70 12 34 56", callback_url="https://shop.example/cb"
    )
    assert response.response_text == "Votre requête est en cours de traitement"
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/pay/v02/debitwallet/withotp")
    sent = request.json["commande"]
    assert set(sent) == set(documented)
    assert set(sent["invoice"]) == set(documented["invoice"])
    assert set(sent["store"]) == set(documented["store"])
    assert set(sent["actions"]) <= set(documented["actions"])
    assert sent["invoice"]["customer"] == WALLET
    assert sent["invoice"]["otp"] == "482913"
    assert sent["invoice"]["total_amount"] == TOTAL


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("14", ligdicash.WrongWalletCredentialsError),
        ("15", ligdicash.WrongOtpError),
        ("16", ligdicash.ExpiredOtpError),
    ],
)
def test_the_documented_wallet_sub_codes_raise_their_classes(
    client: ligdicash.Client, fake: FakeLigdicash, code: str, error: type
) -> None:
    fake.push_json(provider("wallet_withotp_refusals")[code])
    with pytest.raises(error) as info:
        documented_invoice(client.Invoice).pay_with_wallet_otp(otp="482913", customer=WALLET)
    assert info.value.code == code
    assert info.value.operation == "wallet_payin"
    assert "482913" not in repr(info.value.request_record)
    assert len(fake.requests) == 1


# -- money safety: neither step is sent twice -------------------------------------------------


def test_a_dropped_otp_request_is_not_resent(fake: FakeLigdicash) -> None:
    fake.push(Scripted(drop=True))
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=2
    ) as client:
        with pytest.raises(ligdicash.APIConnectionError) as info:
            documented_invoice(client.Invoice).send_wallet_otp(WALLET)
    assert info.value.request_may_have_been_sent is True
    assert "OTP" in info.value.message
    assert len(fake.wait_for_requests(1)) == 1


def test_a_wallet_payment_answered_502_is_not_resent(fake: FakeLigdicash) -> None:
    fake.push(Scripted(status=502, body=b"<html>Bad gateway</html>"))
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=2
    ) as client:
        with pytest.raises(ligdicash.ServerError) as info:
            documented_invoice(client.Invoice).pay_with_wallet_otp(otp="482913", customer=WALLET)
    assert info.value.request_may_have_been_sent is True
    assert "payment may exist" in info.value.message
    assert len(fake.requests) == 1


# -- a client with a store records the wallet payment before sending it ----------------------


def test_a_client_with_a_store_records_the_wallet_payment_not_the_otp_request(
    ligdicash_sandbox: Sandbox,
) -> None:
    from ligdicash._stores import MemoryStore

    store = MemoryStore()
    seen: list[Any] = []

    def before_sending(record: ligdicash.RequestRecord) -> None:
        seen.append((record.operation, store.get_payment("ORD-WALLET-S")))

    with sandbox_client(ligdicash_sandbox, store=store, on_request=before_sending) as client:
        invoice = documented_invoice(client.Invoice)
        invoice.send_wallet_otp(WALLET)  # no transaction_id needed: it moves no money
        response = invoice.pay_with_wallet_otp(
            otp=ligdicash_sandbox.wallet_otp(WALLET, TOTAL),
            customer=WALLET,
            custom_data={"transaction_id": "ORD-WALLET-S"},
        )
    [(otp_op, nothing), (pay_op, recorded)] = seen
    assert (otp_op, nothing) == ("wallet_otp", None)
    assert pay_op == "wallet_payin"
    assert recorded is not None
    assert (recorded.kind, recorded.amount) == ("payin", TOTAL)
    final = store.get_payment("ORD-WALLET-S")
    assert final is not None
    assert final.token == response.token
