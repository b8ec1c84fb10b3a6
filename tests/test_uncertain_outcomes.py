"""When a creation may have landed the error says so; status reads ride out odd answers;
requests that cannot be built are refused before anything fires or leaves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted
from sdk_helpers import make_invoice

MAINTENANCE = Scripted(
    body=b"<html><h1>Service temporairement indisponible</h1></html>",
    headers={"Content-Type": "text/html"},
)
TRUNCATED = Scripted(body=b'{"response_code": "00", "token": "eyJ0eXAiOiJKV1Qi')
HTML_502 = Scripted(
    status=502, body=b"<html>502 Bad Gateway</html>", headers={"Content-Type": "text/html"}
)
HTML_503 = Scripted(status=503, body=b"<html>maintenance</html>")


def make_client(fake: FakeLigdicash, **kwargs: Any) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, **kwargs
    )


def make_async(fake: FakeLigdicash, **kwargs: Any) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, **kwargs
    )


# -- item 2: the error after a creation may have landed says so -------------------------------


@pytest.mark.parametrize(
    "answer",
    [HTML_502, HTML_503, Scripted(status=500, body=b"{}"), MAINTENANCE, TRUNCATED,
     Scripted(body=b"OK"), Scripted(body=b'["00"]'), Scripted(body=b'{"token": "x"}'),
     Scripted(body=b"{}", delay=0.5)],
    ids=["html-502", "503", "500", "html-200", "truncated-200", "text-200", "json-list",
         "no-response-code", "read-timeout"],
)  # fmt: skip
@pytest.mark.parametrize("operation", ["payin", "payout"])
def test_an_error_after_a_creation_may_have_landed_says_so_and_how_to_check(
    fake: FakeLigdicash, answer: Scripted, operation: str
) -> None:
    fake.push(answer)
    custom_data = {"transaction_id": "ORD-7"}
    # A short read timeout only where the answer is late: elsewhere a loaded machine must not
    # turn the case under test (an HTML page, a 500...) into a timeout.
    with make_client(fake, max_retries=3, timeout=0.2 if answer.delay else 10.0) as c:
        if operation == "payin":
            invoice = make_invoice(c)
            with pytest.raises(ligdicash.LigdicashError) as info:
                invoice.pay_with_redirection(custom_data=custom_data)
        else:
            withdrawal = c.Withdrawal("refund", 5000, "22670123456")
            with pytest.raises(ligdicash.LigdicashError) as info:
                withdrawal.send(type="merchant", custom_data=custom_data)
    error = info.value
    assert len(fake.wait_for_requests(1)) == 1
    assert error.request_may_have_been_sent is True
    assert "do not send it again" in error.message
    assert "get_transaction(token)" in error.message
    assert "request_record" in error.message
    assert "ORD-7" in error.message
    assert error.request_record is not None
    assert error.request_record.custom_data == {"transaction_id": "ORD-7"}


def test_errors_raised_before_sending_or_settling_the_outcome_say_not_sent(
    fake: FakeLigdicash,
) -> None:
    with make_client(fake) as c:
        with pytest.raises(ligdicash.InvalidRequestError) as before:
            c.Withdrawal("refund", 5000, "").send(type="merchant")
        fake.push_json({"response_code": "01", "response_text": "Echec (Code02)"})
        with pytest.raises(ligdicash.RequestRefusedError) as refused:
            make_invoice(c).pay_with_redirection()
        fake.push(Scripted(status=404, body=b"not found"))
        with pytest.raises(ligdicash.APIStatusError) as not_found:
            make_invoice(c).pay_with_redirection()
    assert before.value.request_may_have_been_sent is False
    assert refused.value.request_may_have_been_sent is False
    assert not_found.value.request_may_have_been_sent is False
    assert "do not send" not in not_found.value.message


# -- item 3: status reads ride out a maintenance page and a cut body -------------------------


@pytest.mark.parametrize("answer", [MAINTENANCE, TRUNCATED], ids=["maintenance", "truncated"])
def test_a_status_read_retries_an_unreadable_200_like_a_502(
    fake: FakeLigdicash, answer: Scripted
) -> None:
    fake.push(answer)
    fake.push(answer)
    with make_client(fake, max_retries=2) as c:
        assert c.get_transaction("tok").is_completed
    assert len(fake.requests) == 3


def test_a_status_read_gives_up_on_unreadable_200s_after_max_retries(fake: FakeLigdicash) -> None:
    for _ in range(3):
        fake.push(MAINTENANCE)
    with make_client(fake, max_retries=2) as c, pytest.raises(ligdicash.InvalidResponseError):
        c.get_transaction("tok")
    assert len(fake.requests) == 3


def test_a_creation_is_never_resent_after_an_unreadable_200(fake: FakeLigdicash) -> None:
    fake.push(MAINTENANCE)
    with make_client(fake, max_retries=5) as c, pytest.raises(ligdicash.InvalidResponseError):
        make_invoice(c).pay_with_redirection()
    assert len(fake.requests) == 1


def test_bulk_items_ride_out_a_maintenance_page(fake: FakeLigdicash) -> None:
    fake.push(MAINTENANCE)
    with make_client(fake, max_retries=2) as c:
        results = c.get_transactions(["tok"], concurrency=1)
    assert results[0].ok
    fake.push(TRUNCATED)

    async def main() -> list[ligdicash.TransactionResult]:
        async with make_async(fake, max_retries=2) as client:
            return await client.get_transactions(["tok"], concurrency=1)

    assert asyncio.run(main())[0].ok


# -- issue 9 item 7: a 404 says what the base_url should look like ---------------------------


def test_a_404_on_an_api_path_says_what_the_base_url_should_be(fake: FakeLigdicash) -> None:
    root = fake.base_url[: -len("pay/v01/")]
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=root, max_retries=0
    ) as c:
        fake.push(Scripted(status=404, body=b"<html>Not Found</html>"))
        with pytest.raises(ligdicash.APIStatusError) as info:
            c.get_transaction("tok")
    assert info.value.http_status == 404
    assert "ending in /pay/v01/" in info.value.message
    assert "http://127.0.0.1:8765/pay/v01/" in info.value.message


# -- issue 8 item 8: nothing raw escapes; a request that cannot be built is refused first ----


@pytest.mark.parametrize("bad_type", [[], {}, None, 3, b"payin"])
def test_a_transaction_type_of_the_wrong_kind_is_an_invalid_request(
    fake: FakeLigdicash, bad_type: Any
) -> None:
    with make_client(fake) as c:
        with pytest.raises(ligdicash.InvalidRequestError):
            c.get_transaction("tok", bad_type)
        with pytest.raises(ligdicash.InvalidRequestError):
            c.get_transactions(["tok"], bad_type)
    assert fake.requests == []


@pytest.mark.parametrize(
    "token", ["x" * 2_000_000, "tok\ud800"], ids=["2-MB-token", "lone-surrogate"]
)
def test_a_token_that_cannot_make_a_url_is_refused_before_anything_fires(
    fake: FakeLigdicash, token: str
) -> None:
    records: list[ligdicash.RequestRecord] = []
    with make_client(fake, on_request=records.append) as c:
        with pytest.raises(ligdicash.InvalidRequestError) as info:
            c.get_transaction(token)
    assert records == []
    assert fake.requests == []
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert len(str(info.value)) < 300


def test_a_body_that_cannot_be_encoded_is_refused_before_on_request(fake: FakeLigdicash) -> None:
    records: list[ligdicash.RequestRecord] = []
    with make_client(fake, on_request=records.append) as c:
        with pytest.raises(ligdicash.InvalidRequestError):
            make_invoice(c).pay_with_redirection(custom_data={"transaction_id": "ORD-\ud800"})
    assert records == []
    assert fake.requests == []


BAD_TOKENS: list[Any] = ["x" * 2_000_000, "tok\ud800", 12345, None, ["a"], ""]


def test_bad_tokens_in_a_sync_batch_are_per_item_errors(fake: FakeLigdicash) -> None:
    tokens = ["tok-1", *BAD_TOKENS, "tok-2"]
    with make_client(fake) as c:
        results = c.get_transactions(tokens, concurrency=3)
    assert [r.ok for r in results] == [True] + [False] * len(BAD_TOKENS) + [True]
    assert all(isinstance(r.error, ligdicash.InvalidRequestError) for r in results[1:-1])
    assert len(fake.requests) == 2


def test_bad_tokens_in_an_async_batch_are_per_item_errors(fake: FakeLigdicash) -> None:
    tokens = ["tok-1", *BAD_TOKENS, "tok-2"]

    async def main() -> list[ligdicash.TransactionResult]:
        async with make_async(fake) as client:
            return await client.get_transactions(tokens, concurrency=3)

    results = asyncio.run(main())
    assert [r.ok for r in results] == [True] + [False] * len(BAD_TOKENS) + [True]
    assert all(isinstance(r.error, ligdicash.InvalidRequestError) for r in results[1:-1])
    assert len(fake.requests) == 2
