"""Secrets never show: not in reprs, errors or logs; OTPs are not kept; numbers are masked."""

from __future__ import annotations

import logging

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, refusal
from sdk_helpers import make_invoice

SECRET_KEY = "sk_live_SECRET_api_key_123"
SECRET_TOKEN = "at_live_SECRET_auth_token_456"
OTP = "918273"


def test_secrets_and_otps_never_appear_in_reprs_errors_or_logs(
    fake: FakeLigdicash, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "api_key", SECRET_KEY)
    monkeypatch.setattr(fake, "auth_token", SECRET_TOKEN)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with ligdicash.Client(
        api_key=SECRET_KEY,
        auth_token=SECRET_TOKEN,
        base_url=fake.base_url,
        max_retries=1,
        timeout=0.2,
    ) as c:
        seen.append(repr(c))
        seen.append(repr(c._settings))
        invoice = make_invoice(c)
        response = invoice.pay_without_redirection(otp=OTP, customer="22670123456")
        seen += [repr(invoice), repr(response), str(vars(invoice))]
        for failure in (
            Scripted(drop=True),
            Scripted(status=502, body=b"<html/>"),
            Scripted(body=b"{}", delay=0.5),
        ):
            fake.push(failure)
            with pytest.raises(ligdicash.LigdicashError) as info:
                invoice.pay_without_redirection(otp=OTP, customer="22670123456")
            seen += [
                str(info.value),
                repr(info.value),
                repr(info.value.request_record),
                str(info.value.request_record.body if info.value.request_record else ""),
            ]
        fake.push_json(refusal("00"))
        with pytest.raises(ligdicash.AuthenticationError) as auth:
            c.get_transaction("tok")
        seen += [str(auth.value), repr(auth.value), str(vars(auth.value))]
        seen.append(repr(c.get_transaction("tok")))
    seen += [record.getMessage() for record in caplog.records]
    text = "\n".join(seen)
    assert caplog.records, "expected debug lines to check"
    for secret in (SECRET_KEY, SECRET_TOKEN, OTP, "22670123456"):
        assert secret not in text, secret
    assert "226*****456" in text


def test_one_debug_line_per_attempt_with_method_path_status_duration_attempt(
    fake: FakeLigdicash, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ligdicash")
    fake.push(Scripted(status=500, body=b"{}"))
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=1
    ) as c:
        c.get_transaction("tok")
    lines = [r.getMessage() for r in caplog.records if r.name == "ligdicash"]
    assert len(lines) == 2
    assert lines[0].startswith("GET redirect/checkout-invoice/confirm/ -> 500 (")
    assert lines[0].endswith("ms, attempt 1/2)")
    assert " -> 200 (" in lines[1]
    assert lines[1].endswith("attempt 2/2)")
    assert all("tok" not in line for line in lines)  # tokens stay out of our log lines


def test_the_otp_is_not_kept_on_the_invoice(client: ligdicash.Client) -> None:
    invoice = make_invoice(client)
    invoice.pay_without_redirection(otp=OTP, customer="22670123456")
    assert OTP not in str(vars(invoice))


def test_nothing_is_printed(configured: FakeLigdicash, capsys: pytest.CaptureFixture[str]) -> None:
    make_invoice().pay_with_redirection()
    ligdicash.get_transaction("tok")
    assert capsys.readouterr() == ("", "")
