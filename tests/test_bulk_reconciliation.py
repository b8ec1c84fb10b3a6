"""get_transactions: bounded concurrency, input order, one bad token never loses the others."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Recorded, refusal, status_body


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ReconciliationServer(FakeLigdicash):
    """Answers by token: ``bad-*`` is unknown (Code02), ``pending-*`` pending, else completed.

    Every answer waits ``delay`` seconds, and the server records the most requests it ever
    had in flight at once.
    """

    def __init__(self, delay: float = 0.02) -> None:
        super().__init__()
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()

    def default_answer(self, rec: Recorded) -> dict[str, Any]:
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            token = next(iter(rec.query.values()), [""])[0]
            if token.startswith("bad"):
                return refusal("02")
            return status_body(token, "pending" if token.startswith("pending") else "completed")
        finally:
            with self._count_lock:
                self.in_flight -= 1


@pytest.fixture(scope="module")
def server() -> Iterator[ReconciliationServer]:
    with ReconciliationServer() as s:
        yield s


@pytest.fixture
def recon(server: ReconciliationServer) -> Iterator[ReconciliationServer]:
    server.reset()
    server.max_in_flight = 0
    return server


def credentials(server: FakeLigdicash) -> dict[str, Any]:
    return {"api_key": server.api_key, "auth_token": server.auth_token, "base_url": server.base_url}


TOKENS = ["t0", "bad-1", "pending-2", "t3", "", "t5", "bad-6", "t7"]


def check_results(results: list[ligdicash.TransactionResult]) -> None:
    assert [r.token for r in results] == TOKENS
    assert [r.ok for r in results] == [True, False, True, True, False, True, False, True]
    assert isinstance(results[1].error, ligdicash.InvoiceNotFoundError)
    assert isinstance(results[4].error, ligdicash.InvalidTokenError)
    assert results[2].transaction is not None
    assert results[2].transaction.is_pending
    assert all(r.transaction.token == r.token for r in results if r.transaction is not None)
    assert results[0].unwrap().is_completed
    with pytest.raises(ligdicash.InvoiceNotFoundError):
        results[6].unwrap()


@pytest.mark.anyio
async def test_async_bulk_returns_one_result_per_token_in_input_order(
    recon: ReconciliationServer,
) -> None:
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        results = await client.get_transactions(TOKENS, "payin", concurrency=3)
    check_results(results)
    assert len(recon.requests) == 7  # the blank token was never sent


def test_sync_bulk_returns_one_result_per_token_in_input_order(
    recon: ReconciliationServer,
) -> None:
    with ligdicash.Client(**credentials(recon)) as client:
        results = client.get_transactions(TOKENS, "payin", concurrency=3)
    check_results(results)
    assert len(recon.requests) == 7


@pytest.mark.anyio
async def test_async_bulk_never_has_more_than_concurrency_calls_in_flight(
    recon: ReconciliationServer,
) -> None:
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        results = await client.get_transactions([f"t{n}" for n in range(40)], concurrency=8)
    assert all(r.ok for r in results)
    assert 2 <= recon.max_in_flight <= 8


def test_sync_bulk_never_has_more_than_concurrency_calls_in_flight(
    recon: ReconciliationServer,
) -> None:
    with ligdicash.Client(**credentials(recon)) as client:
        results = client.get_transactions([f"t{n}" for n in range(40)], concurrency=8)
    assert all(r.ok for r in results)
    assert 2 <= recon.max_in_flight <= 8


@pytest.mark.anyio
async def test_hundreds_of_tokens_with_one_bad_one_lose_none_of_the_others(
    recon: ReconciliationServer,
) -> None:
    # 15 tokens per worker on each side of the bad one: every worker outlives the error.
    # (1,000 tokens proved nothing more and cost 5 s of real requests.)
    recon.delay = 0.0
    tokens = [f"t{n}" for n in range(600)]
    tokens[300] = "bad-300"
    try:
        async with ligdicash.AsyncClient(**credentials(recon)) as client:
            results = await client.get_transactions(tokens, concurrency=20)
    finally:
        recon.delay = 0.02
    assert [r.token for r in results] == tokens
    assert [n for n, r in enumerate(results) if not r.ok] == [300]


@pytest.mark.anyio
async def test_progress_is_reported_after_each_result_up_to_the_total(
    recon: ReconciliationServer,
) -> None:
    seen: list[tuple[int, int]] = []
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        await client.get_transactions(
            TOKENS, concurrency=2, on_progress=lambda d, t: seen.append((d, t))
        )
    assert seen[0] == (1, 8)  # the blank token is done before any request
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (8, 8)
    assert len(seen) == 8


def test_sync_progress_is_reported_in_the_callers_thread(recon: ReconciliationServer) -> None:
    threads: set[int] = set()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        threads.add(threading.get_ident())
        seen.append(done)

    with ligdicash.Client(**credentials(recon)) as client:
        client.get_transactions(TOKENS, concurrency=4, on_progress=progress)
    assert threads == {threading.get_ident()}
    assert seen == sorted(seen)
    assert seen[-1] == 8


@pytest.mark.anyio
async def test_a_token_given_twice_is_fetched_once_and_reported_twice(
    recon: ReconciliationServer,
) -> None:
    seen: list[int] = []
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        results = await client.get_transactions(
            ["a", "b", "a"], concurrency=5, on_progress=lambda d, t: seen.append(d)
        )
    assert [r.token for r in results] == ["a", "b", "a"]
    assert results[0] is results[2]
    assert len(recon.requests) == 2
    assert seen[-1] == 3


@pytest.mark.anyio
async def test_an_empty_batch_returns_an_empty_list(recon: ReconciliationServer) -> None:
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        assert await client.get_transactions([]) == []
    with ligdicash.Client(**credentials(recon)) as sync_client:
        assert sync_client.get_transactions([]) == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((["a"], "refund"), {}), ((["a"],), {"concurrency": 0}), ((["a"],), {"concurrency": 2.5}),
     (("a-single-token",), {})],
    ids=["unknown-type", "zero-concurrency", "float-concurrency", "a-string"],
)  # fmt: skip
async def test_bad_batch_arguments_raise_for_the_whole_batch_before_sending(
    recon: ReconciliationServer, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        with pytest.raises(ligdicash.InvalidRequestError):
            await client.get_transactions(*args, **kwargs)
    with (
        ligdicash.Client(**credentials(recon)) as sync_client,
        pytest.raises(ligdicash.InvalidRequestError),
    ):
        sync_client.get_transactions(*args, **kwargs)
    assert recon.requests == []


@pytest.mark.anyio
async def test_a_failing_progress_callback_stops_the_batch_and_is_raised(
    recon: ReconciliationServer,
) -> None:
    def explode(done: int, total: int) -> None:
        if done == 2:
            raise RuntimeError("progress bar broke")

    tokens = [f"t{n}" for n in range(30)]
    async with ligdicash.AsyncClient(**credentials(recon)) as client:
        with pytest.raises(RuntimeError, match="progress bar broke"):
            await client.get_transactions(tokens, concurrency=2, on_progress=explode)
    with (
        ligdicash.Client(**credentials(recon)) as sync_client,
        pytest.raises(RuntimeError, match="progress bar broke"),
    ):
        sync_client.get_transactions(tokens, concurrency=2, on_progress=explode)
    assert len(recon.requests) < 2 * len(tokens)


def test_a_closed_sync_client_raises_instead_of_returning_errors(
    recon: ReconciliationServer,
) -> None:
    client = ligdicash.Client(**credentials(recon))
    client.close()
    with pytest.raises(ligdicash.ClientClosedError):
        client.get_transactions(["a", "b"])


@pytest.mark.anyio
async def test_sync_bulk_works_from_inside_a_running_event_loop(
    recon: ReconciliationServer,
) -> None:
    asyncio.get_running_loop()  # the caller's thread runs a loop
    with ligdicash.Client(**credentials(recon)) as client:
        results = client.get_transactions(["a", "bad-b"], concurrency=2)
    assert [r.ok for r in results] == [True, False]


def test_payout_types_use_their_own_status_endpoint(recon: ReconciliationServer) -> None:
    # Both payout kinds ask the documented withdrawal/confirm/ route first.
    with ligdicash.Client(**credentials(recon)) as client:
        client.get_transactions(["a"], "merchant_payout")
    assert recon.requests[0].query == {"withdrawalToken": ["a"]}
