"""Each sandbox fault kind, seen through the SDK: which error it gives, and no double payment.

These run against the real sandbox (uvicorn on loopback) through the pytest plugin's
``ligdicash_sandbox`` fixture, the way our users' suites would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import ligdicash
from ligdicash.sandbox import Sandbox
from sdk_helpers import make_invoice


@pytest.fixture
def client(ligdicash_sandbox: Sandbox) -> Iterator[ligdicash.Client]:
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=0,
        timeout=0.5,
    ) as c:
        yield c


def pay(client: ligdicash.Client, order: str = "ORD-F1") -> ligdicash.PaymentResponse:
    return make_invoice(client).pay_with_redirection(
        return_url="http://127.0.0.1:9/ok",
        cancel_url="http://127.0.0.1:9/cancel",
        custom_data={"transaction_id": order},
    )


@pytest.fixture
def token(client: ligdicash.Client) -> str:
    return pay(client).token


@pytest.mark.parametrize(
    ("kind", "extra", "error", "words"),
    [
        ("latency", {"latency_ms": 1500}, ligdicash.APITimeoutError, "timed out"),
        ("http_500", {}, ligdicash.ServerError, "HTTP 500"),
        ("http_502_html", {}, ligdicash.ServerError, "HTML page"),
        ("http_429", {}, ligdicash.RateLimitError, "slow down"),
        ("not_json", {}, ligdicash.InvalidResponseError, "HTML page"),
        ("truncated_json", {}, ligdicash.InvalidResponseError, "not valid JSON"),
        ("drop", {}, ligdicash.APIConnectionError, "connection failed"),
    ],
)
def test_each_fault_kind_gives_its_sdk_error_on_a_status_check(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    token: str,
    kind: str,
    extra: dict[str, Any],
    error: type[ligdicash.LigdicashError],
    words: str,
) -> None:
    ligdicash_sandbox.add_fault(kind, count=1, path="confirm", **extra)
    with pytest.raises(error) as info:
        client.get_transaction(token, "payin")
    assert words in info.value.message
    assert type(info.value) is error or kind == "drop"
    # The fault was consumed: the next check reads the real transaction.
    assert client.get_transaction(token, "payin").status == "pending"


def test_rate_limit_error_carries_the_retry_after_delay(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, token: str
) -> None:
    ligdicash_sandbox.add_fault("http_429", count=1, path="confirm")
    with pytest.raises(ligdicash.RateLimitError) as info:
        client.get_transaction(token, "payin")
    assert info.value.retry_after == 1.0
    assert info.value.http_status == 429


@pytest.mark.parametrize("kind", ["http_500", "http_502_html", "drop", "http_429"])
def test_status_checks_retry_through_transient_faults(
    ligdicash_sandbox: Sandbox, token: str, kind: str
) -> None:
    ligdicash_sandbox.add_fault(kind, count=2, path="confirm")
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=2,
    ) as c:
        assert c.get_transaction(token, "payin").status == "pending"
    assert ligdicash_sandbox.faults() == []


@pytest.mark.parametrize(
    ("kind", "created"),
    [
        ("drop", 0),
        ("drop_after", 1),
        ("http_500", 0),
        ("http_502_html", 0),
        ("not_json", 0),
        ("truncated_json", 1),
        ("latency", 1),
    ],
)
def test_a_faulty_payment_is_never_sent_twice(
    ligdicash_sandbox: Sandbox, kind: str, created: int
) -> None:
    extra = {"latency_ms": 1500} if kind == "latency" else {}
    ligdicash_sandbox.add_fault(kind, count=5, path="checkout-invoice/create", **extra)
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=5,
        timeout=0.5,
    ) as c:
        with pytest.raises(ligdicash.LigdicashError) as info:
            pay(c, order="ORD-ONCE")
    assert info.value.request_record is not None
    assert info.value.request_record.custom_data == {"transaction_id": "ORD-ONCE"}
    # One attempt consumed one fault: the SDK did not resend the payment.
    assert ligdicash_sandbox.faults()[0]["remaining"] == 4
    ligdicash_sandbox.clear_faults()
    # A slow request is still processed after the client gave up: wait for the server to
    # finish it, then check that exactly what one attempt creates exists.
    deadline = time.monotonic() + 5
    while len(ligdicash_sandbox.transactions()) < created and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(ligdicash_sandbox.transactions()) == created


@pytest.mark.parametrize("type_", ["client", "merchant"])
@pytest.mark.parametrize(
    ("kind", "created"),
    [
        ("drop", 0),
        ("drop_after", 1),
        ("http_500", 0),
        ("http_502_html", 0),
        ("not_json", 0),
        ("truncated_json", 1),
        ("latency", 1),
    ],
)
def test_a_faulty_payout_is_never_sent_twice_and_a_lost_answer_leaves_one_payout(
    ligdicash_sandbox: Sandbox, kind: str, created: int, type_: str
) -> None:
    path = "/pay/v01/withdrawal/create" if type_ == "client" else "/pay/v01/straight/payout"
    extra = {"latency_ms": 1500} if kind == "latency" else {}
    ligdicash_sandbox.add_fault(kind, count=5, path=path, **extra)
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=5,
        timeout=0.5,
    ) as c:
        withdrawal = c.Withdrawal(amount=5000, description="Batch 7", customer="22670123456")
        with pytest.raises(ligdicash.LigdicashError):
            withdrawal.send(type=type_, custom_data={"transaction_id": "BATCH-7-000001"})
    # One attempt consumed one fault: the SDK did not resend the payout.
    assert ligdicash_sandbox.faults()[0]["remaining"] == 4
    ligdicash_sandbox.clear_faults()
    deadline = time.monotonic() + 5
    while len(ligdicash_sandbox.transactions()) < created and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(ligdicash_sandbox.transactions()) == created
    assert ligdicash_sandbox.balance() == 10_000_000 - 5000 * created
