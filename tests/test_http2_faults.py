"""Over HTTP/2, a malformed frame after the server read the request never re-sends money.

httpx reports these frames as ``httpx.LocalProtocolError`` (the class of a request that
could not be written at all); the pipeline decides from httpcore's trace evidence instead,
so a creation or payout reaches the server exactly once, sync and async, while a status
read (idempotent) is retried through the same faults. Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import ligdicash
from h2_faults import FAULTS, H2FaultServer
from sdk_helpers import documented_invoice

KEYS = {"api_key": "test_api_key_h2", "auth_token": "test_auth_token_h2"}


@pytest.fixture(scope="module")
def h2server() -> Iterator[H2FaultServer]:
    with H2FaultServer() as server:
        yield server


def sync_client(server: H2FaultServer) -> ligdicash.Client:
    return ligdicash.Client(
        base_url=server.base_url,
        http_client=httpx.Client(http1=False, http2=True),
        max_retries=2,
        **KEYS,
    )


def async_client(server: H2FaultServer) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        base_url=server.base_url,
        http_client=httpx.AsyncClient(http1=False, http2=True),
        max_retries=2,
        **KEYS,
    )


def create(client: Any, operation: str) -> Any:
    """A hosted payin or a merchant payout; a coroutine for an AsyncClient."""
    if operation == "payin":
        return documented_invoice(client.Invoice).pay_with_redirection(
            custom_data={"transaction_id": "ORD-H2"}
        )
    return client.Withdrawal("refund", 5000, "22670123456").send(type="merchant")


def check_not_resent(server: H2FaultServer, error: ligdicash.LigdicashError, label: str) -> None:
    posts = server.count("POST")
    print(f"{label}: POST count {posts}")
    assert posts == 1
    assert isinstance(error, ligdicash.APIConnectionError)
    assert error.request_may_have_been_sent is True
    assert "do not send it again" in error.message


@pytest.mark.parametrize("operation", ["payin", "payout"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_bad_frame_after_the_request_never_resends_money_sync(
    h2server: H2FaultServer, fault: str, operation: str
) -> None:
    h2server.script(fault, fault, fault)
    client = sync_client(h2server)
    try:
        with pytest.raises(ligdicash.LigdicashError) as info:
            create(client, operation)
    finally:
        client._http.close()
    check_not_resent(h2server, info.value, f"sync {operation} {fault}")


@pytest.mark.parametrize("operation", ["payin", "payout"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_bad_frame_after_the_request_never_resends_money_async(
    h2server: H2FaultServer, fault: str, operation: str
) -> None:
    h2server.script(fault, fault, fault)

    async def main() -> ligdicash.LigdicashError:
        client = async_client(h2server)
        try:
            with pytest.raises(ligdicash.LigdicashError) as info:
                await create(client, operation)
        finally:
            await client._http.aclose()
        return info.value

    check_not_resent(h2server, asyncio.run(main()), f"async {operation} {fault}")


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_status_read_is_retried_through_bad_frames(h2server: H2FaultServer, fault: str) -> None:
    h2server.script(fault, fault)
    client = sync_client(h2server)
    try:
        transaction = client.get_transaction("tok")
    finally:
        client._http.close()
    assert transaction.is_completed
    assert h2server.count("GET") == 3

    h2server.script(fault, fault)

    async def main() -> ligdicash.Transaction:
        client = async_client(h2server)
        try:
            return await client.get_transaction("tok")
        finally:
            await client._http.aclose()

    assert asyncio.run(main()).is_completed
    assert h2server.count("GET") == 3


def test_a_payment_over_http2_succeeds_when_the_server_behaves(h2server: H2FaultServer) -> None:
    h2server.script()
    client = sync_client(h2server)
    try:
        response = create(client, "payin")
    finally:
        client._http.close()
    assert response.token == "tok-created"
    assert h2server.count("POST") == 1
