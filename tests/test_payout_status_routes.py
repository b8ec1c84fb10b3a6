"""A merchant payout's status: the documented ``withdrawal/confirm/?withdrawalToken=`` first,
the older ``straight/payout/confirm/?payoutToken=`` when the first answers not-found or 404,
and the client remembers which route answered (sync and async share the logic)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, refusal, status_body
from ligdicash.sandbox import Sandbox

DOCUMENTED = ("/pay/v01/withdrawal/confirm/", "withdrawalToken")
LEGACY = ("/pay/v01/straight/payout/confirm/", "payoutToken")
NOT_FOUND = refusal("02", "Invoice not found")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def strict(fake: FakeLigdicash) -> Iterator[ligdicash.Client]:
    """A client that never retries: each request seen is one route asked once."""
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=0
    ) as client:
        yield client


def routes(fake: FakeLigdicash) -> list[tuple[str, str]]:
    return [(r.path, next(iter(r.query))) for r in fake.requests]


def html_404() -> Scripted:
    html = {"Content-Type": "text/html"}
    return Scripted(status=404, body=b"<html>Not Found</html>", headers=html)


def test_the_documented_route_is_asked_first(strict: ligdicash.Client, fake: FakeLigdicash) -> None:
    tx = strict.get_transaction("tok-m", "merchant_payout")
    assert tx.is_completed
    assert routes(fake) == [DOCUMENTED]
    assert fake.requests[0].query == {"withdrawalToken": ["tok-m"]}


def test_a_404_on_the_documented_route_falls_back_and_is_remembered(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push(html_404())
    assert strict.get_transaction("tok-m", "merchant_payout").is_completed
    assert routes(fake) == [DOCUMENTED, LEGACY]
    assert fake.requests[1].query == {"payoutToken": ["tok-m"]}

    fake.reset()
    assert strict.get_transaction("tok-n", "merchant_payout").is_completed
    assert routes(fake) == [LEGACY]  # remembered: one request


def test_a_not_found_on_the_documented_route_falls_back(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(NOT_FOUND)
    fake.push_json(status_body("tok-m", "pending"))
    assert strict.get_transaction("tok-m", "merchant_payout").status == "pending"
    assert routes(fake) == [DOCUMENTED, LEGACY]


def test_a_token_neither_route_knows_is_invoice_not_found(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(NOT_FOUND)
    fake.push_json(NOT_FOUND)
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        strict.get_transaction("nobody", "merchant_payout")
    assert routes(fake) == [DOCUMENTED, LEGACY]

    # Nothing learnt from a token nobody knows: the documented route stays first.
    fake.reset()
    strict.get_transaction("tok-m", "merchant_payout")
    assert routes(fake) == [DOCUMENTED]


def test_a_404_then_a_not_found_raises_the_refusal(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push(html_404())
    fake.push_json(NOT_FOUND)
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        strict.get_transaction("nobody", "merchant_payout")


def test_a_not_found_then_a_404_raises_the_refusal(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(NOT_FOUND)
    fake.push(html_404())
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        strict.get_transaction("nobody", "merchant_payout")


def test_two_404s_raise_the_status_error(strict: ligdicash.Client, fake: FakeLigdicash) -> None:
    fake.push(html_404())
    fake.push(html_404())
    with pytest.raises(ligdicash.APIStatusError) as info:
        strict.get_transaction("tok", "merchant_payout")
    assert info.value.http_status == 404


def test_a_remembered_route_that_stops_answering_hands_back(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push(html_404())
    strict.get_transaction("a", "merchant_payout")  # learns: legacy first
    fake.reset()
    fake.push(html_404())  # now the legacy route is gone
    assert strict.get_transaction("b", "merchant_payout").is_completed
    assert routes(fake) == [LEGACY, DOCUMENTED]
    fake.reset()
    strict.get_transaction("c", "merchant_payout")
    assert routes(fake) == [DOCUMENTED]


def test_a_server_error_is_not_a_reason_to_change_route(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json({"message": "down"}, status=503)
    with pytest.raises(ligdicash.ServerError):
        strict.get_transaction("tok", "merchant_payout")
    assert routes(fake) == [DOCUMENTED]


@pytest.mark.parametrize(
    ("kind", "path"),
    [("payin", "/pay/v01/redirect/checkout-invoice/confirm/"), ("client_payout", DOCUMENTED[0])],
)
def test_other_kinds_have_one_route(
    strict: ligdicash.Client, fake: FakeLigdicash, kind: Any, path: str
) -> None:
    fake.push_json(NOT_FOUND)
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        strict.get_transaction("tok", kind)
    assert [r.path for r in fake.requests] == [path]


def test_each_client_learns_for_itself(fake: FakeLigdicash, strict: ligdicash.Client) -> None:
    fake.push(html_404())
    strict.get_transaction("a", "merchant_payout")
    fake.reset()
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as other:
        other.get_transaction("b", "merchant_payout")
    assert routes(fake) == [DOCUMENTED]


@pytest.mark.anyio
async def test_the_async_client_falls_back_and_remembers(fake: FakeLigdicash) -> None:
    fake.push(html_404())
    async with ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=0
    ) as client:
        assert (await client.get_transaction("a", "merchant_payout")).is_completed
        assert routes(fake) == [DOCUMENTED, LEGACY]
        fake.reset()
        await client.get_transaction("b", "merchant_payout")
    assert routes(fake) == [LEGACY]


def test_waiting_for_a_merchant_payout_uses_the_fallback(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push(html_404())
    fake.push_json(status_body("tok", "pending"))
    tx = strict.wait_for_transaction("tok", "merchant_payout", interval=0, timeout=10)
    assert tx.is_completed
    assert routes(fake) == [DOCUMENTED, LEGACY, LEGACY]


def test_a_merchant_payout_on_the_sandbox_reads_on_the_documented_route(
    ligdicash_sandbox: Sandbox,
) -> None:
    with ligdicash.Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
    ) as client:
        withdrawal = client.Withdrawal(amount=5000, description="Refund", customer="22670123456")
        token = withdrawal.send(type="merchant", custom_data={"transaction_id": "MP-1"}).token
        tx = client.wait_for_transaction(token, "merchant_payout", interval=0, timeout=10)
        assert tx.is_completed
        assert client._preferred_fallbacks == set()  # the documented route answered


def test_the_fallback_answer_is_read_with_the_primary_specs_parser(
    strict: ligdicash.Client, fake: FakeLigdicash
) -> None:
    from ligdicash._operations import status_spec

    spec = status_spec("tok-m", "merchant_payout")
    seen: list[str] = []

    def parse(data: Any, payload: Any) -> Any:
        seen.append(str(data.get("status")))
        return "read by the primary's parser"

    spec.parse = parse
    fake.push(html_404())
    assert strict._request(spec) == "read by the primary's parser"
    assert seen == ["completed"]
    assert routes(fake) == [DOCUMENTED, LEGACY]
