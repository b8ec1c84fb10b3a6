"""The sandbox's LigdiCash Wallet endpoints over raw HTTP: ``GET /pay/v02/debitotp/{phone}/
{amount}`` texts an OTP per wallet and amount, ``POST /pay/v02/debitwallet/withotp`` spends it
(wrong: Code15, expired: Code16, no wallet: Code14), the control API shows the OTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import confirm, direct_body, wait_until

from ligdicash.sandbox import Sandbox, SandboxConfig

WALLET = "22670123456"
AMOUNT = 31500  # direct_body's invoice total


def v02(sb: Sandbox) -> httpx.Client:
    root = sb.base_url.replace("/pay/v01/", "/pay/v02/")
    return httpx.Client(base_url=root, headers=sb.auth_headers, trust_env=False)


def wallet_body(otp: str, customer: str = WALLET, **custom: Any) -> dict[str, Any]:
    return direct_body(customer, otp, **custom)


def test_debitotp_texts_the_wallet_an_otp_for_that_amount(sb: Sandbox) -> None:
    with v02(sb) as api:
        answer = api.get(f"debitotp/{WALLET}/{AMOUNT}").json()
    assert answer == {"error": False, "message": "OTP sent. Please check your phone."}
    [otp] = sb.wallet_otps(WALLET, AMOUNT)
    assert otp["phone"] == WALLET
    assert otp["amount"] == AMOUNT
    assert not otp["expired"]
    assert len(otp["otp"]) == 6
    assert otp["otp"].isdigit()
    assert sb.wallet_otp(WALLET, AMOUNT) == otp["otp"]
    assert sb.wallet_otps(WALLET, AMOUNT + 1) == []


def test_an_unknown_wallet_gets_error_true_and_no_otp(sb: Sandbox) -> None:
    with v02(sb) as api:
        answer = api.get(f"debitotp/22670000404/{AMOUNT}").json()
        no_operator = api.get(f"debitotp/22199999999/{AMOUNT}").json()
    assert answer["error"] is True
    assert answer["message"]
    assert no_operator["error"] is True
    assert sb.wallet_otps() == []


def test_the_right_otp_pays_once_and_the_payin_completes(sb: Sandbox, api: httpx.Client) -> None:
    with v02(sb) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        otp = sb.wallet_otp(WALLET, AMOUNT)
        answer = wallet.post("debitwallet/withotp", json=wallet_body(otp)).json()
        again = wallet.post("debitwallet/withotp", json=wallet_body(otp)).json()
    assert answer["response_code"] == "00"
    assert answer["token"]
    status = wait_until(
        lambda: (s := confirm(api, "payin", answer["token"]))["status"] == "completed" and s
    )
    assert status["operator_name"] == "LigdiCash Wallet"
    assert sb.transaction(answer["token"])["flow"] == "wallet"
    # An OTP is spent once: the same code again is a wrong OTP.
    assert again["response_text"] == "Echec (Code15)"


def test_a_wrong_otp_is_code15_and_the_right_one_still_works(sb: Sandbox) -> None:
    with v02(sb) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        otp = sb.wallet_otp(WALLET, AMOUNT)
        wrong = "000000" if otp != "000000" else "111111"
        refused = wallet.post("debitwallet/withotp", json=wallet_body(wrong)).json()
        accepted = wallet.post("debitwallet/withotp", json=wallet_body(otp)).json()
    assert (refused["response_code"], refused["response_text"]) == ("01", "Echec (Code15)")
    assert refused["wiki"] == "https://client.ligdicash.com/wiki/createInvoice"
    assert accepted["response_code"] == "00"


def test_an_otp_for_another_amount_is_a_wrong_otp(sb: Sandbox) -> None:
    with v02(sb) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT + 500}")
        otp = sb.wallet_otp(WALLET, AMOUNT + 500)
        answer = wallet.post("debitwallet/withotp", json=wallet_body(otp)).json()
    assert answer["response_text"] == "Echec (Code15)"


def test_a_second_text_voids_the_first_otp(sb: Sandbox) -> None:
    with v02(sb) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        first = sb.wallet_otp(WALLET, AMOUNT)
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        second = sb.wallet_otp(WALLET, AMOUNT)
        if first == second:  # 1 chance in a million: the same code was drawn twice
            pytest.skip("the two OTPs drawn happen to be equal")
        answer = wallet.post("debitwallet/withotp", json=wallet_body(first)).json()
    assert answer["response_text"] == "Echec (Code15)"


def test_an_expired_otp_is_code16(make_sandbox: Any) -> None:
    sandbox = make_sandbox(SandboxConfig.fast(wallet_otp_ttl=0))
    with v02(sandbox) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        [issued] = sandbox.wallet_otps(WALLET, AMOUNT)
        assert issued["expired"] is True
        answer = wallet.post("debitwallet/withotp", json=wallet_body(issued["otp"])).json()
    assert (answer["response_code"], answer["response_text"]) == ("01", "Echec (Code16)")
    assert sandbox.transactions() == []


def test_a_number_without_wallet_is_code14(sb: Sandbox) -> None:
    with v02(sb) as wallet:
        answer = wallet.post("debitwallet/withotp", json=wallet_body("123456", "22670000404"))
    assert answer.json()["response_text"] == "Echec (Code14)"


def test_the_wallet_endpoints_need_the_credentials(sb: Sandbox) -> None:
    root = sb.base_url.replace("/pay/v01/", "/pay/v02/")
    with httpx.Client(base_url=root, trust_env=False) as anonymous:
        otp = anonymous.get(f"debitotp/{WALLET}/{AMOUNT}").json()
        pay = anonymous.post("debitwallet/withotp", json=wallet_body("123456")).json()
    assert otp["response_text"] == pay["response_text"] == "Echec (Code00)"
    assert sb.wallet_otps() == []


def test_a_wallet_body_missing_its_otp_key_is_refused_like_a_direct_payin(sb: Sandbox) -> None:
    body = wallet_body("123456")
    del body["commande"]["invoice"]["otp"]
    with v02(sb) as wallet:
        answer = wallet.post("debitwallet/withotp", json=body).json()
        unknown = wallet.get("nothing-here")
    assert answer["response_text_details"] == 'Undefined array key "otp"'
    assert unknown.status_code == 404


def test_reset_forgets_the_otps(sb: Sandbox) -> None:
    with v02(sb) as wallet:
        wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
    assert sb.wallet_otps()
    sb.reset()
    assert sb.wallet_otps() == []


def test_the_dashboard_shows_the_otps_waiting(sb: Sandbox) -> None:
    with httpx.Client(base_url=sb.url, trust_env=False) as web:
        assert "wallet-otps" not in web.get("/_sandbox/").text
        with v02(sb) as wallet:
            wallet.get(f"debitotp/{WALLET}/{AMOUNT}")
        otp = sb.wallet_otp(WALLET, AMOUNT)
        page = web.get("/_sandbox/").text
        french = web.get("/_sandbox/", params={"lang": "fr"}).text
    table = page[page.index("<table id=wallet-otps>") :]
    assert f"<code>{otp}</code>" in table
    assert WALLET in table
    assert "what the customer&#x27;s phone shows" in page or "customer's phone" in page
    assert "OTP du Wallet LigdiCash" in french
