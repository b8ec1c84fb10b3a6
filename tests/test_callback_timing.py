"""The waits of the two callback copies follow the client's timeout and retries.

A copy that finds the event claimed waits for the other; if the other's status call
(with its retries) then fails, the waiting copy must still be there to confirm the event.
Its wait is therefore derived from the client, never shorter than a worst-case status
call; a copy whose status call outlasted its claim's lease does not run the handler; and
what each copy logs about the other is true.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import httpx
import pytest

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash, status_body
from ligdicash import _pipeline
from ligdicash.contrib import (
    CallbackProcessor,
    ExpectedTransaction,
    IdempotencyStore,
    MemoryIdempotencyStore,
    ProcessResult,
    _timing,
)

ORDER = "ORD-20240512"
EXPECTED = ExpectedTransaction(token=LONG_TOKEN, amount=31500, transaction_id=ORDER)
WAIT = 20.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def copy(encoding: str) -> tuple[bytes, str]:
    fields = {"token": "cb-token", "status": "completed", "amount": 31500}
    if encoding == "json":
        body = {**fields, "custom_data": {"transaction_id": ORDER}}
        return json.dumps(body).encode(), "application/json"
    form = "&".join(f"{k}={v}" for k, v in fields.items())
    return f"{form}&custom_data[transaction_id]={ORDER}".encode(), (
        "application/x-www-form-urlencoded"
    )


class UnrenewableStore(MemoryIdempotencyStore):
    """A store written before leases could be renewed (``renew`` is the base's)."""

    renew = IdempotencyStore.renew  # type: ignore[assignment]


def processor_for(
    client: ligdicash.Client | ligdicash.AsyncClient,
    delivered: list[ligdicash.Transaction],
    results: list[ProcessResult],
    **options: Any,
) -> CallbackProcessor:
    def deliver(transaction: ligdicash.Transaction) -> None:
        delivered.append(transaction)

    options.setdefault("store", MemoryIdempotencyStore())
    return CallbackProcessor(
        lookup=lambda callback: EXPECTED,
        handler=deliver,
        client=client,
        on_result=results.append,
        **options,
    )


# -- the numbers ------------------------------------------------------------------------------
def test_a_renewing_store_gets_a_short_lease_whatever_the_status_call() -> None:
    client = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN)
    timing = processor_for(client, [], []).timing()
    assert timing.status_call == 3 * 95 + 2 * 60
    assert timing.lease == _timing.RENEWED_LEASE == 20.0  # renewed by the heartbeat
    assert timing.busy_wait > timing.status_call  # the waiting copy still outlasts it
    assert processor_for(client, [], [], lease_seconds=5).timing().lease == 5
    client.close()


def test_the_default_waits_outlast_a_worst_case_status_call_with_its_retries() -> None:
    client = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN)
    timing = processor_for(client, [], [], store=UnrenewableStore()).timing()
    # 3 attempts of (pool 30 + connect 5 + write 30 + read 30) s, and before each of the 2
    # retries the longest honoured Retry-After (60 s).
    assert timing.status_call == 3 * 95 + 2 * 60
    assert timing.busy_wait > timing.status_call > 91  # the issue's ~91 s worst case
    assert timing.lease > timing.busy_wait
    client.close()


def test_the_waits_follow_the_clients_timeout_and_retries() -> None:
    quick = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN, timeout=1, max_retries=0)
    slow = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN, timeout=60, max_retries=5)
    quick_timing = processor_for(quick, [], []).timing()
    slow_timing = processor_for(slow, [], []).timing()
    assert quick_timing.status_call == 4
    assert slow_timing.status_call is not None
    assert slow_timing.status_call > 6 * 60
    assert quick_timing.busy_wait < slow_timing.busy_wait
    quick.close()
    slow.close()


def test_explicit_waits_can_lengthen_but_never_shorten_them() -> None:
    client = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN, timeout=1, max_retries=1)
    old = UnrenewableStore
    floor = processor_for(client, [], [], store=old()).timing()
    short = processor_for(client, [], [], store=old(), busy_wait=0.1, lease_seconds=0.1).timing()
    long = processor_for(client, [], [], store=old(), busy_wait=900, lease_seconds=3600).timing()
    assert floor.status_call is not None
    assert short.busy_wait == floor.busy_wait > floor.status_call
    assert short.lease > short.busy_wait
    assert (long.busy_wait, long.lease) == (900, 3600)
    client.close()


def test_without_a_timeout_the_waiting_copy_outlasts_the_lease_to_take_over() -> None:
    client = ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN, timeout=httpx.Timeout(None))
    timing = processor_for(client, [], [], store=UnrenewableStore()).timing()
    assert timing.status_call is None
    assert timing.busy_wait > timing.lease
    client.close()


# -- a real slow status server ------------------------------------------------------------------
def slow_first_status_calls(fake: FakeLigdicash, attempts: int) -> None:
    """The first ``attempts`` status calls answer after 1 s: longer than the 0.3 s timeout."""
    for _ in range(attempts):
        fake.push_json(status_body(LONG_TOKEN), delay=1.0)


@pytest.mark.parametrize("busy_wait", [None, 0.2])
def test_when_the_first_copys_status_call_and_retries_fail_the_waiting_copy_confirms(
    fake: FakeLigdicash, busy_wait: Optional[float]
) -> None:
    slow_first_status_calls(fake, attempts=3)
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []
    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, timeout=0.3, max_retries=2
    ) as client:
        processor = processor_for(client, delivered, results, busy_wait=busy_wait)
        threads = [
            threading.Thread(target=processor.process, args=copy(encoding))
            for encoding in ("json", "form")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
    assert sorted((r.outcome, r.reason) for r in results) == [
        ("processed", "completed"),
        ("unconfirmed", "timeout"),
    ]
    assert [t.token for t in delivered] == [LONG_TOKEN]
    assert len(fake.requests) == 4  # three slow attempts by one copy, one by the other


@pytest.mark.anyio
async def test_the_async_copies_wait_for_each_other_the_same_way(fake: FakeLigdicash) -> None:
    slow_first_status_calls(fake, attempts=3)
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []
    async with ligdicash.AsyncClient(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, timeout=0.3, max_retries=2
    ) as client:
        processor = processor_for(client, delivered, results, busy_wait=0.2)
        await asyncio.wait_for(
            asyncio.gather(processor.aprocess(*copy("json")), processor.aprocess(*copy("form"))),
            WAIT,
        )
    assert sorted(r.outcome for r in results) == ["processed", "unconfirmed"]
    assert len(delivered) == 1


def test_a_copy_that_gives_up_says_truly_what_became_of_the_event(
    fake: FakeLigdicash, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Shrink every wait so that "longer than a status call" is half a second.
    monkeypatch.setattr(_timing, "STORE_MARGIN", 0.3)
    monkeypatch.setattr(_pipeline, "MAX_RETRY_AFTER", 0.0)
    waiting_copy_done = threading.Event()
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []

    def slow_handler(transaction: ligdicash.Transaction) -> None:
        waiting_copy_done.wait(WAIT)  # the handler outlasts the other copy's wait
        delivered.append(transaction)

    def record(result: ProcessResult) -> None:
        results.append(result)
        if result.outcome == "in_progress":
            waiting_copy_done.set()

    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, timeout=0.05, max_retries=0
    ) as client:
        processor = CallbackProcessor(
            lookup=lambda callback: EXPECTED,
            handler=slow_handler,
            client=client,
            store=MemoryIdempotencyStore(),
            on_result=record,
        )
        assert processor.timing().busy_wait == pytest.approx(0.5)
        holder = threading.Thread(target=processor.process, args=copy("json"))
        with caplog.at_level(logging.INFO, logger="ligdicash.callbacks"):
            holder.start()
            deadline = time.monotonic() + WAIT
            while not fake.requests:  # the holder has claimed and made its status call
                assert time.monotonic() < deadline
                time.sleep(0.005)
            waiting = processor.process(*copy("form"))
            holder.join(WAIT)
    assert (waiting.outcome, waiting.reason) == ("in_progress", "busy")
    assert sorted(r.outcome for r in results) == ["in_progress", "processed"]
    assert len(delivered) == 1
    [gave_up] = [r.getMessage() for r in caplog.records if "left to the worker" in r.getMessage()]
    assert "running the handler or died" in gave_up
    assert "reconcile()" in gave_up


# -- a status call that outlasts the lease --------------------------------------------------------
@pytest.fixture
def dripping_server() -> Iterator[str]:
    """A real server whose status answer arrives in 20 pieces, 0.1 s apart (about 2 s):
    every read is within the timeout, the whole call is not."""
    body = json.dumps(status_body(LONG_TOKEN)).encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)  # so the loop sees ``stop``
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with conn:
                conn.recv(65536)
                conn.sendall(head)
                step = -(-len(body) // 20)
                for start in range(0, len(body), step):
                    time.sleep(0.1)
                    conn.sendall(body[start : start + step])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/pay/v01/"
    stop.set()
    thread.join(WAIT)
    listener.close()


def test_a_status_call_that_outlasts_an_unrenewable_lease_does_not_run_the_handler(
    dripping_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_timing, "STORE_MARGIN", 0.1)
    timeout = httpx.Timeout(connect=0.05, read=1.0, write=0.05, pool=0.05)
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []
    with ligdicash.Client(
        api_key=API_KEY,
        auth_token=AUTH_TOKEN,
        base_url=dripping_server,
        timeout=timeout,
        max_retries=0,
    ) as client:
        store = UnrenewableStore()
        processor = processor_for(client, delivered, results, lease_seconds=0.1, store=store)
        timing = processor.timing()
        assert timing.lease == pytest.approx(1.15 + 0.2)  # the status call plus margins
        result = processor.process(*copy("json"))
    assert (result.outcome, result.reason) == ("unconfirmed", "lease_expired")
    assert delivered == []
    record = store.get(result.key)
    assert record is not None
    assert (record.state, record.note) == ("unconfirmed", "lease_expired")


# -- short leases renewed by a heartbeat ----------------------------------------------------------
def test_a_heartbeat_keeps_a_short_lease_through_a_status_call_that_outlasts_it(
    dripping_server: str,
) -> None:
    timeout = httpx.Timeout(connect=0.5, read=5.0, write=0.5, pool=0.5)
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []
    store = MemoryIdempotencyStore()
    with ligdicash.Client(
        api_key=API_KEY,
        auth_token=AUTH_TOKEN,
        base_url=dripping_server,
        timeout=timeout,
        max_retries=0,
    ) as client:
        # The status answer takes about 2 s; the lease is 0.6 s, renewed every 0.2 s.
        processor = processor_for(client, delivered, results, lease_seconds=0.6, store=store)
        assert processor.timing().lease == 0.6
        result = processor.process(*copy("json"))
    assert (result.outcome, result.reason) == ("processed", "completed")
    assert len(delivered) == 1
    record = store.get(result.key)
    assert record is not None
    assert record.state == "done"


class LosingStore(MemoryIdempotencyStore):
    """Every renewal answers False: another worker took the claim over."""

    def renew(self, claim: Any, *, lease_seconds: float) -> bool:
        return False


def test_a_claim_lost_before_the_handler_does_not_run_it(fake: FakeLigdicash) -> None:
    fake.push_json(status_body(LONG_TOKEN))
    delivered: list[ligdicash.Transaction] = []
    results: list[ProcessResult] = []
    with ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
    ) as client:
        processor = processor_for(client, delivered, results, store=LosingStore())
        result = processor.process(*copy("json"))
    assert (result.outcome, result.reason) == ("unconfirmed", "lease_expired")
    assert delivered == []
