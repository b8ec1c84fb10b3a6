"""Network and server failures become LigdicashError subclasses; retries never pay twice."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, status_body
from sdk_helpers import make_invoice

HTML_502 = Scripted(
    status=502,
    body=b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
    headers={"Content-Type": "text/html"},
)


def make_client(fake: FakeLigdicash, **kwargs: Any) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, **kwargs
    )


def create_payin(c: ligdicash.Client) -> ligdicash.PaymentResponse:
    return make_invoice(c).pay_with_redirection(custom_data={"transaction_id": "ORD-9"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_slow_server_gives_a_timeout_error(fake: FakeLigdicash) -> None:
    fake.push(Scripted(body=b"{}", delay=0.5))
    with make_client(fake, timeout=0.1, max_retries=0) as c:
        with pytest.raises(ligdicash.APITimeoutError) as info:
            c.get_transaction("tok")
    assert info.value.request_may_have_been_sent is True
    assert "timed out" in info.value.message


def test_connection_refused_gives_a_connection_error_that_was_not_sent() -> None:
    url = f"http://127.0.0.1:{free_port()}/pay/v01/"
    with ligdicash.Client(api_key="k", auth_token="t", base_url=url, max_retries=0) as c:
        with pytest.raises(ligdicash.APIConnectionError) as info:
            c.get_transaction("tok")
    assert info.value.request_may_have_been_sent is False
    assert not isinstance(info.value, ligdicash.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_an_html_502_is_a_server_error_that_says_it_was_a_gateway_page(
    fake: FakeLigdicash,
) -> None:
    fake.push(HTML_502)
    with make_client(fake, max_retries=0) as c, pytest.raises(ligdicash.ServerError) as info:
        c.get_transaction("tok")
    assert info.value.http_status == 502
    assert info.value.code == "http_502"
    assert "HTML page" in info.value.message
    assert "502 Bad Gateway" in info.value.body_excerpt


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"response_code": "00", "token": "ey', "not valid JSON"),
        (b"OK", "not valid JSON"),
        (b"<html>maintenance</html>", "HTML page"),
        (b'["00"]', "JSON list"),
        (b'{"token": "x"}', "without response_code"),
        (b"", "not valid JSON"),
    ],
)
def test_bodies_that_are_not_a_json_object_give_invalid_response_error(
    fake: FakeLigdicash, body: bytes, words: str
) -> None:
    fake.push(Scripted(body=body))
    with make_client(fake, max_retries=0) as c:
        with pytest.raises(ligdicash.InvalidResponseError) as info:
            create_payin(c)
    assert words in info.value.message


def test_status_checks_are_retried_on_5xx_429_and_dropped_connections(fake: FakeLigdicash) -> None:
    fake.push(HTML_502)
    fake.push(Scripted(status=429, body=b"{}", headers={"Retry-After": "0"}))
    fake.push(Scripted(drop=True))
    with make_client(fake, max_retries=3) as c:
        transaction = c.get_transaction("tok")
    assert transaction.status == "completed"
    assert len(fake.requests) == 4


def test_retries_stop_after_max_retries(fake: FakeLigdicash) -> None:
    for _ in range(5):
        fake.push(HTML_502)
    with make_client(fake, max_retries=2) as c, pytest.raises(ligdicash.ServerError):
        c.get_transaction("tok")
    assert len(fake.requests) == 3


def test_max_retries_zero_disables_retries(fake: FakeLigdicash) -> None:
    fake.push(Scripted(drop=True))
    with make_client(fake, max_retries=0) as c, pytest.raises(ligdicash.APIConnectionError):
        c.get_transaction("tok")
    assert len(fake.requests) == 1


def test_a_long_retry_after_is_not_waited_for(fake: FakeLigdicash) -> None:
    fake.push(Scripted(status=429, body=b"{}", headers={"Retry-After": "3600"}))
    with make_client(fake, max_retries=3) as c, pytest.raises(ligdicash.RateLimitError) as info:
        c.get_transaction("tok")
    assert info.value.retry_after == 3600
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        HTML_502,
        Scripted(status=500, body=b"{}"),
        Scripted(status=429, body=b"{}", headers={"Retry-After": "0"}),
        Scripted(drop=True),
        Scripted(body=b"{}", delay=0.5),
    ],
)
def test_a_payment_that_may_have_reached_the_server_is_never_resent(
    fake: FakeLigdicash, failure: Scripted
) -> None:
    fake.push(failure)
    # A short read timeout only where the answer is late (see test_uncertain_outcomes).
    with make_client(fake, max_retries=5, timeout=0.2 if failure.delay else 10.0) as c:
        with pytest.raises(ligdicash.LigdicashError):
            create_payin(c)
        fake.push(failure)
        withdrawal = c.Withdrawal("refund", 5000, "22670123456")
        with pytest.raises(ligdicash.LigdicashError):
            withdrawal.send(type="merchant")
    assert len(fake.wait_for_requests(2)) == 2


def test_a_dropped_payment_error_says_what_was_sent_and_not_to_resend(fake: FakeLigdicash) -> None:
    fake.push(Scripted(drop=True))
    with make_client(fake) as c, pytest.raises(ligdicash.APIConnectionError) as info:
        create_payin(c)
    error = info.value
    assert error.request_may_have_been_sent is True
    assert "do not send it again" in error.message
    assert error.request_record is not None
    assert error.request_record.custom_data == {"transaction_id": "ORD-9"}
    assert error.operation == "hosted_payin"


class RefuseFirstConnect(httpx.BaseTransport):
    """A real transport whose first connections go to a closed port: refused, for real.

    httpcore reports the attempt (``connection.connect_tcp.started``/``failed``) and no
    ``send_request_*`` event, which is the evidence that nothing of the request left.
    """

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.closed_port = free_port()
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refusals:
            self.refusals -= 1
            request = httpx.Request(
                request.method,
                request.url.copy_with(port=self.closed_port),
                headers=request.headers,
                content=request.content,
                extensions=request.extensions,
            )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_payment_whose_connection_failed_before_sending_is_retried(fake: FakeLigdicash) -> None:
    with httpx.Client(transport=RefuseFirstConnect(2)) as http:
        with make_client(fake, http_client=http, max_retries=2) as c:
            response = create_payin(c)
    assert response.token
    assert len(fake.requests) == 1


def test_a_payment_is_not_resent_when_the_transport_gives_no_evidence(
    fake: FakeLigdicash,
) -> None:
    """A transport that reports nothing (a mock, a custom one): it may have been sent."""
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        with make_client(fake, http_client=http, max_retries=2) as c:
            with pytest.raises(ligdicash.APIConnectionError) as info:
                create_payin(c)
            assert len(calls) == 1
            assert info.value.request_may_have_been_sent is True
            assert "do not send it again" in info.value.message
            with pytest.raises(ligdicash.APIConnectionError):
                c.get_transaction("tok")  # a status read is retried whatever the evidence
    assert len(calls) == 1 + 3


def test_only_ligdicash_errors_escape_even_for_odd_transport_failures(fake: FakeLigdicash) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("malformed chunk", request=request)

    with httpx.Client(transport=httpx.MockTransport(explode)) as http:
        with make_client(fake, http_client=http, max_retries=0) as c:
            with pytest.raises(ligdicash.APIConnectionError):
                c.get_transaction("tok")


def test_the_request_timeout_applies_to_a_user_supplied_http_client(fake: FakeLigdicash) -> None:
    fake.push(Scripted(body=b"{}", delay=0.5))
    with httpx.Client(timeout=60) as http:
        with make_client(fake, http_client=http, timeout=0.1, max_retries=0) as c:
            with pytest.raises(ligdicash.APITimeoutError):
                c.get_transaction("tok")
        assert not http.is_closed  # the caller's client stays the caller's to close


def test_one_connection_is_reused_across_calls(fake: FakeLigdicash) -> None:
    with make_client(fake) as c:
        for _ in range(5):
            c.get_transaction("tok")
        pool = c._http._transport._pool  # type: ignore[attr-defined]
        assert len(pool.connections) == 1


def test_plain_http_base_url_is_refused_off_loopback() -> None:
    for url in ("http://app.ligdicash.com/pay/v01/", "http://10.0.0.5:8765/pay/v01/", "ftp://x/"):
        with pytest.raises(ligdicash.ConfigurationError):
            ligdicash.Client(api_key="k", auth_token="t", base_url=url)
    for url in (
        "http://127.0.0.1:8765/pay/v01",
        "http://localhost:1/",
        "http://[::1]:9/",
        "https://sandbox.example.com/pay/v01/",
    ):
        c = ligdicash.Client(api_key="k", auth_token="t", base_url=url)
        assert c.base_url.endswith("/")
        c.close()


def test_status_answers_with_camel_case_and_string_amounts_are_read(fake: FakeLigdicash) -> None:
    body = status_body("tok", status="nocompleted")
    body.pop("amount")
    body["operatorName"] = body.pop("operator_name")
    body["montant"] = "1500.00"
    fake.push_json(body)
    with make_client(fake) as c:
        transaction = c.get_transaction("tok")
    assert (transaction.status, transaction.raw_status) == ("cancelled", "nocompleted")
    assert transaction.amount == 1500
    assert transaction.operator_name == "Orange Money"
    assert transaction.is_final
    assert not transaction.is_completed
