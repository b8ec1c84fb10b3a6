"""Credentials and OTPs stay out of error text, reprs, chained tracebacks, frame locals and logs.

What an error tracker such as Sentry captures is ``traceback.TracebackException`` with
``capture_locals=True`` over the whole exception chain: these tests format exactly that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from typing import Any, Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, refusal
from sdk_helpers import documented_invoice

SECRET = "Sup3rS3cretValue"
OTP = "987654"
CUSTOMER = "2267" + "0123456"  # built, so the source lines shown in tracebacks lack it


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in ("ligdicash", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def error_shown(error: BaseException) -> str:
    """Text, repr and the whole formatted chain (``traceback.format_exception``)."""
    chain = traceback.format_exception(type(error), error, error.__traceback__)
    return "\n".join([str(error), repr(error), "".join(chain)])


def everything_shown(error: BaseException) -> str:
    """:func:`error_shown` plus every frame's locals, as an error tracker captures them."""
    tb = traceback.TracebackException.from_exception(error, capture_locals=True)
    return error_shown(error) + "\n" + "".join(tb.format())


def parts(secret: str) -> list[str]:
    """The secret and its halves: a leak of part of it is a leak too."""
    core = secret.strip()
    return [core, core[: len(core) // 2], core[len(core) // 2 :]]


BAD_CREDENTIALS = [
    SECRET + "\n",  # read from a secrets file
    SECRET + "\r\n",  # CR-LF
    SECRET + "\u00e9",  # non-ASCII
    SECRET[:8] + "\n" + SECRET[8:],  # a control character inside
    SECRET[:8] + "\x00" + SECRET[8:],
    SECRET[:8] + " " + SECRET[8:],
]


@pytest.mark.parametrize("which", ["api_key", "auth_token"])
@pytest.mark.parametrize("bad", BAD_CREDENTIALS[2:])
def test_a_credential_with_control_or_non_ascii_characters_is_refused_without_echo(
    fake: FakeLigdicash, debug_logs: pytest.LogCaptureFixture, which: str, bad: str
) -> None:
    settings = {"api_key": fake.api_key, "auth_token": fake.auth_token, which: bad}
    with pytest.raises(ligdicash.ConfigurationError) as info:
        ligdicash.Client(base_url=fake.base_url, **settings)
    assert which in str(info.value)
    shown = error_shown(info.value) + "\n".join(r.getMessage() for r in debug_logs.records)
    for part in parts(SECRET):
        assert part not in shown
    assert fake.requests == []


@pytest.mark.parametrize("which", ["api_key", "auth_token"])
@pytest.mark.parametrize("bad", BAD_CREDENTIALS[:2])
def test_surrounding_whitespace_of_a_credential_is_stripped(
    fake: FakeLigdicash, debug_logs: pytest.LogCaptureFixture, which: str, bad: str
) -> None:
    fake_value = getattr(fake, which)
    padded = bad.replace(SECRET, fake_value)
    settings = {"api_key": fake.api_key, "auth_token": fake.auth_token, which: padded}
    with ligdicash.Client(base_url=fake.base_url, **settings) as c:
        assert c.get_transaction("tok").is_completed
    header = "apikey" if which == "api_key" else "authorization"
    assert fake.requests[0].headers[header].endswith(fake_value)


@pytest.mark.parametrize("bad", BAD_CREDENTIALS)
def test_a_bad_credential_from_the_environment_or_module_never_shows(
    fake: FakeLigdicash,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
) -> None:
    monkeypatch.setenv("LIGDICASH_AUTH_TOKEN", fake.auth_token)
    ligdicash.api_key = bad
    ligdicash.base_url = fake.base_url
    try:
        ligdicash.get_transaction("tok")
    except ligdicash.LigdicashError as error:
        shown = error_shown(error)
    else:  # whitespace stripped: the request went out with the fake's refusal of the key
        pytest.fail("a wrong key must not be accepted")
    shown += "\n".join(r.getMessage() for r in debug_logs.records)
    for part in parts(SECRET):
        assert part not in shown


# -- the OTP and the credentials in frame locals ---------------------------------------------

FAILURES: dict[str, Callable[[FakeLigdicash], None]] = {
    "refused": lambda fake: fake.push_json(refusal("03a")),
    "timed out": lambda fake: fake.push(Scripted(body=b"{}", delay=1.0)),
    "server error": lambda fake: fake.push(Scripted(status=500, body=b"<html>oops</html>")),
}


def check_no_secret(error: BaseException, fake: FakeLigdicash) -> None:
    shown = everything_shown(error)
    assert "pay_without_redirection" in shown  # the frame is there, its locals are clean
    for secret in (OTP, fake.api_key, fake.auth_token):
        assert secret not in shown, secret


@pytest.mark.parametrize("failure", list(FAILURES))
def test_no_frame_of_a_failed_direct_payin_holds_the_otp_or_a_credential(
    fake: FakeLigdicash, failure: str
) -> None:
    FAILURES[failure](fake)
    with ligdicash.Client(
        api_key=fake.api_key,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        timeout=0.3,
        max_retries=0,
    ) as c:
        invoice = documented_invoice(c.Invoice)
        with pytest.raises(ligdicash.LigdicashError) as info:
            invoice.pay_without_redirection(otp=OTP, customer="22670123456")
    check_no_secret(info.value, fake)


@pytest.mark.parametrize("failure", list(FAILURES))
def test_no_frame_of_a_failed_async_direct_payin_holds_the_otp_or_a_credential(
    fake: FakeLigdicash, failure: str
) -> None:
    FAILURES[failure](fake)

    async def pay() -> BaseException:
        async with ligdicash.AsyncClient(
            api_key=fake.api_key,
            auth_token=fake.auth_token,
            base_url=fake.base_url,
            timeout=0.3,
            max_retries=0,
        ) as c:
            invoice = documented_invoice(c.Invoice)
            try:
                await invoice.pay_without_redirection(otp=OTP, customer="22670123456")
            except ligdicash.LigdicashError as error:
                return error
        raise AssertionError("the payin should have failed")

    check_no_secret(asyncio.run(pay()), fake)


def test_an_invalid_direct_payin_keeps_the_otp_out_of_its_frames(fake: FakeLigdicash) -> None:
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as c:
        invoice = c.Invoice(description="nothing added")
        with pytest.raises(ligdicash.InvalidRequestError) as info:
            invoice.pay_without_redirection(otp=OTP, customer="22670123456")
    assert OTP not in everything_shown(info.value)


# -- the payout's customer ---------------------------------------------------------------------


@pytest.mark.parametrize("type", ["client", "merchant"])
def test_the_payout_customer_is_masked_in_records_and_errors(
    fake: FakeLigdicash, type: str
) -> None:
    seen: list[ligdicash.RequestRecord] = []
    fake.push(Scripted(status=502, body=b"<html>bad gateway</html>"))
    with ligdicash.Client(
        api_key=fake.api_key,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        on_request=seen.append,
    ) as c:
        with pytest.raises(ligdicash.ServerError) as info:
            c.Withdrawal("Refund", 5000, CUSTOMER).send(type=type)
    record: Any = info.value.request_record
    assert record is seen[0]
    assert record.body["commande"]["customer"] == "226*****456"
    shown = everything_shown(info.value) + repr(record) + str(record.body)
    assert CUSTOMER not in shown
    assert fake.requests[0].json["commande"]["customer"] == CUSTOMER


def test_the_request_body_shows_no_otp_in_its_repr_but_sends_it() -> None:
    invoice = documented_invoice(ligdicash.Invoice)
    spec = invoice._direct_spec(OTP, "22670123456", "", None)
    assert spec.body is not None
    assert OTP not in repr(spec) + repr(spec.body) + str(spec.body)
    assert "'otp': '[redacted]'" in repr(spec.body)
    assert f'"otp":"{OTP}"' in json.dumps(spec.body, separators=(",", ":"))
