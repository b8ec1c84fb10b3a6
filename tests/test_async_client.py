"""AsyncClient: same surface and same bytes as Client, awaitable, safe to cancel and close."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, refusal, status_body
from ligdicash._async_client import ShardedTransport
from sdk_helpers import documented_invoice


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_async(fake: FakeLigdicash, **kwargs: Any) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, **kwargs
    )


# -- a server that records the exact bytes it receives ---------------------------------------


class RawCapture:
    """A loopback HTTP/1.1 server recording each request's raw bytes, with canned answers."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/pay/v01/"

    def __enter__(self) -> RawCapture:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.raw.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                if head.startswith(b"GET"):
                    body = status_body("tok")
                else:
                    body = {"response_code": "00", "token": "T", "response_text": "u"}
                data = json.dumps(body).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )


@pytest.fixture
def capture() -> Iterator[RawCapture]:
    with RawCapture() as server:
        yield server


def sync_calls(client: ligdicash.Client) -> None:
    invoice = documented_invoice(client.Invoice)
    invoice.pay_with_redirection(
        "https://s/cancel", "https://s/return", "https://s/cb", {"transaction_id": "ORD-1"}
    )
    invoice.pay_without_redirection("123456", "22670123456", "https://s/cb", {"k": "é"})
    client.Withdrawal("Refund", 5000, "22670123456").send("client", True, "https://s/cb")
    client.Withdrawal("Pay", 2500, "+226 70 12 34 56").send("merchant", False, "", {"a": 1})
    for kind in ("payin", "client_payout", "merchant_payout"):
        client.get_transaction(" tok-é&x ", kind)  # type: ignore[arg-type]


async def async_calls(client: ligdicash.AsyncClient) -> None:
    invoice = documented_invoice(client.Invoice)
    await invoice.pay_with_redirection(
        "https://s/cancel", "https://s/return", "https://s/cb", {"transaction_id": "ORD-1"}
    )
    await invoice.pay_without_redirection("123456", "22670123456", "https://s/cb", {"k": "é"})
    await client.Withdrawal("Refund", 5000, "22670123456").send("client", True, "https://s/cb")
    await client.Withdrawal("Pay", 2500, "+226 70 12 34 56").send("merchant", False, "", {"a": 1})
    for kind in ("payin", "client_payout", "merchant_payout"):
        await client.get_transaction(" tok-é&x ", kind)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_sync_and_async_clients_put_byte_identical_requests_on_the_wire(
    capture: RawCapture,
) -> None:
    kwargs = {"api_key": "key", "auth_token": "tok", "base_url": capture.base_url}
    with ligdicash.Client(**kwargs) as sync_client:
        sync_calls(sync_client)
    sync_bytes, capture.raw = capture.raw, []
    async with ligdicash.AsyncClient(**kwargs) as async_client:
        await async_calls(async_client)
    assert len(sync_bytes) == 7
    assert capture.raw == sync_bytes


# -- the documented flows ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_async_hosted_payment_returns_the_payment_page_and_token(
    fake: FakeLigdicash,
) -> None:
    async with make_async(fake) as client:
        invoice = client.Invoice(currency="xof", description="Order #42", store_name="S")
        invoice.add_item(name="Shirt", description="M", quantity=2, unit_price=15000)
        assert isinstance(invoice, ligdicash.AsyncInvoice)
        response = await invoice.pay_with_redirection(
            return_url="https://s/r", cancel_url="https://s/c", callback_url="https://s/cb",
            custom_data={"transaction_id": "ORD-42"},
        )  # fmt: skip
    assert response.token
    assert response.payment_url.startswith("http://127.0.0.1")
    assert response.custom_data == {"transaction_id": "ORD-42"}
    assert fake.requests[0].json["commande"]["invoice"]["total_amount"] == 30000


@pytest.mark.anyio
async def test_an_async_direct_payment_and_both_payouts_are_sent(fake: FakeLigdicash) -> None:
    async with make_async(fake) as client:
        invoice = client.Invoice(description="Order")
        invoice.add_item(name="Shirt", description="M", quantity=1, unit_price=1000)
        await invoice.pay_without_redirection(otp="123456", customer="22670123456")
        withdrawal = client.Withdrawal("Refund", 5000, "22670123456")
        assert isinstance(withdrawal, ligdicash.AsyncWithdrawal)
        await withdrawal.send(type="client", to_wallet=True)
        await client.Withdrawal("Pay", 2500, "22670123456").send(type="merchant")
    paths = [r.path.rsplit("/v01/", 1)[1] for r in fake.requests]
    assert paths == ["straight/checkout-invoice/create", "withdrawal/create", "straight/payout"]
    assert fake.requests[1].json["commande"]["top_up_wallet"] == 1


@pytest.mark.anyio
async def test_an_async_status_call_reads_the_transaction(fake: FakeLigdicash) -> None:
    fake.push_json(status_body("tok-1", status="nocompleted"))
    async with make_async(fake) as client:
        transaction = await client.get_transaction("tok-1", "payin")
    assert transaction.is_cancelled
    assert transaction.amount == 31500
    assert fake.requests[0].query == {"invoiceToken": ["tok-1"]}


@pytest.mark.anyio
async def test_async_refusals_map_to_the_same_error_classes_as_sync(fake: FakeLigdicash) -> None:
    fake.push_json(refusal("02"))
    async with make_async(fake) as client:
        with pytest.raises(ligdicash.InvoiceNotFoundError) as info:
            await client.get_transaction("unknown")
    assert info.value.request_record is not None
    assert info.value.request_record.operation == "payin_status"


@pytest.mark.anyio
async def test_async_status_calls_are_retried_like_sync_ones(fake: FakeLigdicash) -> None:
    fake.push(Scripted(status=503, body=b"busy"))
    fake.push(Scripted(drop=True))
    async with make_async(fake) as client:
        assert (await client.get_transaction("tok")).is_completed
    assert len(fake.requests) == 3


@pytest.mark.anyio
async def test_an_async_payment_that_may_have_arrived_is_never_resent(fake: FakeLigdicash) -> None:
    fake.push(Scripted(drop=True))
    async with make_async(fake) as client:
        with pytest.raises(ligdicash.APIConnectionError) as info:
            await make_invoice_async(client).pay_with_redirection()
    assert info.value.request_may_have_been_sent is True
    assert len(fake.requests) == 1


def make_invoice_async(client: ligdicash.AsyncClient) -> ligdicash.AsyncInvoice:
    invoice = client.Invoice(description="Order")
    invoice.add_item(name="Shirt", description="M", quantity=1, unit_price=1000)
    return invoice


@pytest.mark.anyio
async def test_a_blank_token_is_refused_before_anything_is_sent(fake: FakeLigdicash) -> None:
    async with make_async(fake) as client:
        with pytest.raises(ligdicash.InvalidTokenError):
            await client.get_transaction("  ")
    assert fake.requests == []


@pytest.mark.anyio
async def test_on_request_sees_each_async_operation_before_it_is_sent(fake: FakeLigdicash) -> None:
    seen: list[str] = []
    async with make_async(fake, on_request=lambda r: seen.append(r.operation)) as client:
        await client.get_transaction("tok", "client_payout")
    assert seen == ["client_payout_status"]


@pytest.mark.anyio
async def test_an_async_invoice_built_without_a_client_says_how_to_get_one() -> None:
    invoice = ligdicash.AsyncInvoice(description="Order")
    invoice.add_item(name="Shirt", description="M", quantity=1, unit_price=1000)
    with pytest.raises(ligdicash.ConfigurationError, match=r"client\.Invoice"):
        await invoice.pay_with_redirection()
    with pytest.raises(ligdicash.ConfigurationError, match=r"client\.Withdrawal"):
        await ligdicash.AsyncWithdrawal("R", 5000, "22670123456").send()


# -- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_closing_an_async_client_twice_is_fine(fake: FakeLigdicash) -> None:
    client = make_async(fake)
    await client.aclose()
    await client.aclose()
    assert client.is_closed
    assert "closed" in repr(client)


@pytest.mark.anyio
async def test_a_closed_async_client_raises_a_clear_error_for_every_call(
    fake: FakeLigdicash,
) -> None:
    async with make_async(fake) as client:
        pass
    with pytest.raises(ligdicash.ClientClosedError):
        await client.get_transaction("tok")
    with pytest.raises(ligdicash.ClientClosedError):
        await make_invoice_async(client).pay_with_redirection()
    with pytest.raises(ligdicash.ClientClosedError):
        await client.wait_for_transaction("tok", interval=0, timeout=5)
    with pytest.raises(ligdicash.ClientClosedError):
        await client.get_transactions(["a", "b"])
    assert fake.requests == []


@pytest.mark.anyio
async def test_a_user_supplied_http_client_is_used_and_left_open(fake: FakeLigdicash) -> None:
    async with httpx.AsyncClient() as http:
        async with make_async(fake, http_client=http) as client:
            await client.get_transaction("tok")
        assert not http.is_closed
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_the_repr_of_an_async_client_never_shows_credentials(fake: FakeLigdicash) -> None:
    async with make_async(fake) as client:
        assert fake.api_key not in repr(client)
        assert fake.auth_token not in repr(client)
        assert repr(client).startswith("<ligdicash.AsyncClient")


# -- cancellation ------------------------------------------------------------------------------


async def wait_until_received(fake: FakeLigdicash, count: int = 1) -> None:
    for _ in range(500):
        if len(fake.requests) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server never received the request")


def pool_connections(http: httpx.AsyncClient) -> list[Any]:
    transport = http._transport
    if isinstance(transport, ShardedTransport):
        return [c for s in transport._shards if s is not None for c in s._pool.connections]
    return list(transport._pool.connections)  # type: ignore[attr-defined]


@pytest.mark.anyio
@pytest.mark.parametrize("own_pool", [True, False], ids=["default-pool", "user-http-client"])
async def test_cancelling_a_status_call_mid_request_leaks_no_connection(
    fake: FakeLigdicash, own_pool: bool
) -> None:
    http = None if own_pool else httpx.AsyncClient()
    async with make_async(fake, http_client=http) as client:
        fake.push(Scripted(body=json.dumps(status_body("slow")).encode(), delay=1.0))
        task = asyncio.ensure_future(client.get_transaction("slow"))
        await wait_until_received(fake)
        busy = pool_connections(client._http)
        assert len(busy) == 1
        assert not busy[0].is_idle()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert busy[0].is_closed()
        assert all(not c.is_available() or c.is_idle() for c in pool_connections(client._http))
        assert [c for c in pool_connections(client._http) if not c.is_closed()] == []
        if isinstance(client._http._transport, ShardedTransport):
            assert client._http._transport._load == [0] * len(client._http._transport._load)
        # The client is still usable after the cancellation.
        assert (await client.get_transaction("next")).is_completed
    if http is not None:
        await http.aclose()


@pytest.mark.anyio
async def test_cancelling_a_bulk_call_cancels_every_request_in_flight(fake: FakeLigdicash) -> None:
    async with make_async(fake) as client:
        for _ in range(4):
            fake.push(Scripted(body=json.dumps(status_body("s")).encode(), delay=1.0))
        task = asyncio.ensure_future(client.get_transactions(list("abcd"), concurrency=4))
        await wait_until_received(fake, 4)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [c for c in pool_connections(client._http) if not c.is_closed()] == []
        assert client._http._transport._load == [0] * 10  # type: ignore[attr-defined]


# -- the default pool --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_sequential_async_calls_reuse_one_connection(fake: FakeLigdicash) -> None:
    async with make_async(fake) as client:
        for n in range(5):
            await client.get_transaction(f"tok-{n}")
        connections = pool_connections(client._http)
    assert len(connections) == 1


@pytest.mark.anyio
async def test_concurrent_async_calls_spread_over_small_pools_and_keep_every_connection(
    fake: FakeLigdicash,
) -> None:
    async with make_async(fake) as client:
        for _ in range(2):
            await client.get_transactions([f"t{n}-{_}" for n in range(12)], concurrency=12)
        transport = client._http._transport
        assert isinstance(transport, ShardedTransport)
        used = [s for s in transport._shards if s is not None]
        connections = pool_connections(client._http)
    assert len(used) >= 2
    assert len(connections) <= 12  # the second batch reused the first batch's connections
    assert len(fake.requests) == 24


def test_a_sharded_transport_needs_at_least_one_shard_and_connection() -> None:
    with pytest.raises(ValueError, match="shards"):
        ShardedTransport(shards=0)


# -- against the sandbox (the whole lifecycle), when it is available ---------------------------


@pytest.mark.anyio
async def test_an_async_payin_created_in_the_sandbox_is_pending_in_every_read() -> None:
    sandbox = pytest.importorskip("ligdicash.sandbox")
    with sandbox.Sandbox() as sb:
        async with ligdicash.AsyncClient(
            api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url
        ) as client:
            invoice = documented_invoice(client.Invoice)
            response = await invoice.pay_with_redirection(custom_data={"transaction_id": "A-1"})
            transaction = await client.get_transaction(response.token)
            results = await client.get_transactions([response.token, "unknown-token"])
            with pytest.raises(ligdicash.WaitTimeoutError) as info:
                await client.wait_for_transaction(response.token, timeout=0.3, interval=0.05)
    assert transaction.is_pending
    assert transaction.custom_data == {"transaction_id": "A-1"}
    assert [r.ok for r in results] == [True, False]
    assert isinstance(results[1].error, ligdicash.InvoiceNotFoundError)
    assert info.value.transaction is not None
    assert info.value.transaction.is_pending
