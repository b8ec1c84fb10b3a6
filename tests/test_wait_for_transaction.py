"""wait_for_transaction: poll until final, gently, and say clearly when time ran out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, Scripted, refusal, status_body
from ligdicash._config import resolve_settings
from ligdicash._drive import Sleep, perform
from ligdicash._drive import drive as run
from ligdicash._models import Transaction
from ligdicash._polling import WaitPolicy, make_policy, wait_steps


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings(base_url: Optional[str] = None) -> Any:
    return resolve_settings(
        api_key="k", auth_token="t", platform=None, base_url=base_url, timeout=None,
        max_retries=None,
    )  # fmt: skip


def tx(status: str) -> Transaction:
    return Transaction.from_wire(status_body("tok", status=status))


def connection_error() -> ligdicash.APIConnectionError:
    return ligdicash.APIConnectionError("down", operation="payin_status")


class FakeClock:
    """Time that moves only when the generator asks to sleep."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def drive(policy: WaitPolicy, outcomes: Iterator[Any]) -> tuple[list[float], Any]:
    """Run the wait generator on a fake clock; return the sleeps and the result or error."""
    clock = FakeClock()
    sleeps: list[float] = []

    def fetch() -> Any:
        outcome = next(outcomes)
        if isinstance(outcome, BaseException):
            raise outcome  # the driver throws it into the generator
        return outcome

    def on_fake_clock(step: Any) -> Any:
        if isinstance(step, Sleep):
            sleeps.append(step.seconds)
            clock.now += step.seconds
            return None
        return perform(step)  # the status call: fetch()

    try:
        return sleeps, run(wait_steps(policy, fetch, clock=clock), on_fake_clock)
    except ligdicash.LigdicashError as exc:
        return sleeps, exc


# -- the policy, as pure code ------------------------------------------------------------------


def test_the_gap_between_checks_starts_at_interval_and_grows_to_max_interval() -> None:
    policy = WaitPolicy(timeout=1000, interval=3, max_interval=10)
    pending = iter([tx("pending")] * 6 + [tx("completed")])
    sleeps, result = drive(policy, pending)
    assert sleeps == [3, 4.5, 6.75, 10, 10, 10]
    assert result.is_completed


def test_a_cancelled_transaction_ends_the_wait_and_is_returned_not_raised() -> None:
    sleeps, result = drive(WaitPolicy(60, 3, 30), iter([tx("pending"), tx("nocompleted")]))
    assert sleeps == [3]
    assert isinstance(result, Transaction)
    assert result.is_cancelled


def test_the_last_check_happens_at_the_deadline_then_the_timeout_carries_the_last_seen() -> None:
    last = Transaction.from_wire(status_body("tok", status="pending", amount=777))
    outcomes = iter([tx("pending"), tx("pending"), tx("pending"), last])
    sleeps, error = drive(WaitPolicy(12, 3, 30), outcomes)
    assert sleeps == [3, 4.5, 4.5]  # the last gap is cut from 6.75 s to the deadline
    assert isinstance(error, ligdicash.WaitTimeoutError)
    assert error.transaction is last
    assert error.transaction.amount == 777
    assert "still 'pending' after 12 s (4 status checks)" in error.message


def test_no_check_is_squeezed_in_closer_than_interval_before_the_deadline() -> None:
    sleeps, error = drive(WaitPolicy(5, 3, 30), iter([tx("pending")] * 3))
    assert sleeps == [3]  # 2 s were left: less than the 3 s interval, so it stops
    assert isinstance(error, ligdicash.WaitTimeoutError)


def test_network_errors_do_not_end_the_wait_and_the_last_one_is_the_cause() -> None:
    down = connection_error()
    outcomes = iter([down, ligdicash.ServerError("502", http_status=502), tx("completed")])
    sleeps, result = drive(WaitPolicy(60, 3, 30), outcomes)
    assert result.is_completed
    assert len(sleeps) == 2
    sleeps, error = drive(WaitPolicy(4, 3, 30), iter([tx("pending"), down]))
    assert isinstance(error, ligdicash.WaitTimeoutError)
    assert error.__cause__ is down
    assert error.transaction.is_pending
    assert "last error" in error.message


def test_a_wait_where_no_check_ever_succeeded_says_so() -> None:
    sleeps, error = drive(WaitPolicy(1, 0.25, 0.25), iter([connection_error()] * 10))
    assert sleeps == [0.25] * 4
    assert isinstance(error, ligdicash.WaitTimeoutError)
    assert error.transaction is None
    assert error.message.startswith("no status check succeeded within 1 s (5 status checks)")


def test_a_rate_limit_answer_is_waited_out_for_its_retry_after() -> None:
    limited = ligdicash.RateLimitError("slow down", http_status=429, retry_after=20)
    sleeps, result = drive(WaitPolicy(100, 3, 30), iter([limited, tx("completed")]))
    assert sleeps == [20]
    assert result.is_completed


@pytest.mark.parametrize(
    "error",
    [ligdicash.InvoiceNotFoundError(), ligdicash.AuthenticationError(),
     ligdicash.ClientClosedError()],
    ids=["unknown-token", "bad-credentials", "closed-client"],
)  # fmt: skip
def test_a_refusal_ends_the_wait_at_once(error: ligdicash.LigdicashError) -> None:
    sleeps, raised = drive(WaitPolicy(60, 3, 30), iter([tx("pending"), error]))
    assert raised is error
    assert sleeps == [3]


def test_against_ligdicash_hosts_the_interval_is_at_least_three_seconds() -> None:
    with pytest.raises(ligdicash.InvalidRequestError, match="at least 3 s"):
        make_policy(settings(), interval=1)
    assert make_policy(settings(), interval=3).interval == 3


def test_interval_zero_is_allowed_on_loopback_only() -> None:
    assert make_policy(settings("http://127.0.0.1:8765/pay/v01/"), interval=0).interval == 0
    assert make_policy(settings("http://localhost:1/"), interval=0).interval == 0
    with pytest.raises(ligdicash.InvalidRequestError, match="loopback"):
        make_policy(settings("https://proxy.example.com/pay/v01/"), interval=0)
    assert make_policy(settings("https://proxy.example.com/pay/v01/"), interval=0.5)


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"timeout": float("inf")}, {"timeout": "5"}, {"interval": -1},
     {"interval": float("nan")}, {"interval": 10, "max_interval": 5}, {"timeout": True}],
)  # fmt: skip
def test_bad_timing_arguments_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ligdicash.InvalidRequestError):
        make_policy(settings("http://127.0.0.1:1/"), **kwargs)


# -- against a real server ---------------------------------------------------------------------


def make_client(fake: FakeLigdicash) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    )


def push_statuses(fake: FakeLigdicash, *statuses: str) -> None:
    for status in statuses:
        fake.push_json(status_body("tok", status=status))


def test_sync_wait_polls_until_completed(fake: FakeLigdicash) -> None:
    push_statuses(fake, "pending", "pending", "completed")
    with make_client(fake) as client:
        transaction = client.wait_for_transaction("tok", "payin", timeout=30, interval=0)
    assert transaction.is_completed
    assert len(fake.requests) == 3
    assert all(r.query == {"invoiceToken": ["tok"]} for r in fake.requests)


def test_sync_wait_rides_out_a_dropped_connection_and_a_502(fake: FakeLigdicash) -> None:
    fake.push(Scripted(drop=True))
    fake.push(Scripted(status=502, body=b"<html>bad gateway</html>"))
    push_statuses(fake, "completed")
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=0
    ) as client:
        assert client.wait_for_transaction("tok", timeout=30, interval=0).is_completed
    assert len(fake.requests) == 3


def test_sync_wait_times_out_with_the_last_transaction(fake: FakeLigdicash) -> None:
    with make_client(fake) as client:
        push_statuses(fake, *["pending"] * 10)
        with pytest.raises(ligdicash.WaitTimeoutError) as info:
            client.wait_for_transaction("tok", timeout=0.3, interval=0.1, max_interval=0.1)
    assert info.value.transaction is not None
    assert info.value.transaction.is_pending
    assert 2 <= len(fake.requests) <= 5


def test_sync_wait_stops_at_once_on_an_unknown_token(fake: FakeLigdicash) -> None:
    fake.push_json(refusal("02"))
    with make_client(fake) as client, pytest.raises(ligdicash.InvoiceNotFoundError):
        client.wait_for_transaction("nope", timeout=30, interval=0)
    assert len(fake.requests) == 1


def test_sync_wait_refuses_bad_arguments_before_sending(fake: FakeLigdicash) -> None:
    with make_client(fake) as client:
        with pytest.raises(ligdicash.InvalidTokenError):
            client.wait_for_transaction("", interval=0)
        with pytest.raises(ligdicash.InvalidRequestError):
            client.wait_for_transaction("tok", "refund", interval=0)  # type: ignore[arg-type]
    assert fake.requests == []


@pytest.mark.anyio
async def test_async_wait_polls_until_cancelled_status_and_returns_it(fake: FakeLigdicash) -> None:
    push_statuses(fake, "pending", "notcompleted")
    async with ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as client:
        transaction = await client.wait_for_transaction(
            "tok", "client_payout", timeout=30, interval=0
        )
    assert transaction.is_cancelled
    assert [r.query for r in fake.requests] == [{"withdrawalToken": ["tok"]}] * 2


@pytest.mark.anyio
async def test_async_wait_times_out_with_the_last_transaction(fake: FakeLigdicash) -> None:
    async with ligdicash.AsyncClient(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as client:
        push_statuses(fake, *["pending"] * 10)
        with pytest.raises(ligdicash.WaitTimeoutError) as info:
            await client.wait_for_transaction("tok", timeout=0.3, interval=0.1, max_interval=0.1)
    assert info.value.transaction is not None
    assert info.value.transaction.is_pending


@pytest.mark.anyio
async def test_async_wait_against_ligdicash_hosts_refuses_a_fast_interval() -> None:
    async with ligdicash.AsyncClient(api_key="k", auth_token="t") as client:
        with pytest.raises(ligdicash.InvalidRequestError, match="rate-limited"):
            await client.wait_for_transaction("tok", interval=0.5)


def test_an_interval_between_two_and_three_seconds_is_refused_against_ligdicash_hosts() -> None:
    for interval in (2.0, 2.5, 2.999):
        with pytest.raises(ligdicash.InvalidRequestError, match="at least 3 s"):
            make_policy(settings(), interval=interval)
    # Off LigdiCash's hosts (a proxy, a sandbox) the same interval is the caller's choice.
    assert make_policy(settings("https://proxy.example.com/pay/v01/"), interval=2.5)


def test_a_maintenance_page_or_a_cut_body_in_a_200_does_not_end_the_wait(
    fake: FakeLigdicash,
) -> None:
    maintenance = b"<html><h1>Service temporairement indisponible</h1></html>"
    fake.push(Scripted(body=maintenance, headers={"Content-Type": "text/html"}))
    fake.push(Scripted(body=b'{"response_code": "00", "status": "compl'))
    push_statuses(fake, "completed")
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, max_retries=0
    ) as client:
        assert client.wait_for_transaction("tok", timeout=30, interval=0).is_completed
    assert len(fake.requests) == 3


def test_an_unreadable_answer_is_transient_for_the_wait_policy() -> None:
    policy = WaitPolicy(timeout=1000, interval=3, max_interval=10)
    unreadable = ligdicash.InvalidResponseError("HTML page", operation="payin_status")
    sleeps, result = drive(policy, iter([unreadable, tx("completed")]))
    assert sleeps == [3]
    assert result.is_completed


# -- payouts: the provider's advice is every 30 to 60 s ----------------------------------------


@pytest.mark.parametrize("kind", ["client_payout", "merchant_payout"])
@pytest.mark.parametrize("base_url", [None, "https://proxy.example.com/pay/v01/"])
def test_a_payout_wait_defaults_to_30_then_60_seconds_for_ten_minutes(
    kind: str, base_url: Optional[str]
) -> None:
    policy = make_policy(settings(base_url), kind=kind)
    assert (policy.interval, policy.max_interval, policy.timeout) == (30, 60, 600)
    sleeps, _ = drive(policy, iter([tx("pending")] * 6 + [tx("completed")]))
    assert sleeps == [30, 45, 60, 60, 60, 60]


@pytest.mark.parametrize("base_url", [None, "https://proxy.example.com/pay/v01/"])
def test_a_payout_interval_under_30_seconds_is_refused_off_loopback(
    base_url: Optional[str],
) -> None:
    for interval in (3, 29.9):
        with pytest.raises(ligdicash.InvalidRequestError, match="at least 30 s"):
            make_policy(settings(base_url), kind="merchant_payout", interval=interval)
    assert make_policy(settings(base_url), kind="client_payout", interval=45).interval == 45
    # A payin keeps its 3 s advice.
    assert make_policy(settings(base_url), kind="payin").interval == 3


def test_a_loopback_sandbox_keeps_the_fast_payout_waits() -> None:
    loopback = settings("http://127.0.0.1:8765/pay/v01/")
    policy = make_policy(loopback, kind="merchant_payout")
    assert (policy.interval, policy.max_interval, policy.timeout) == (3, 30, 300)
    assert make_policy(loopback, kind="client_payout", interval=0).interval == 0


def test_a_client_refuses_a_fast_payout_wait_before_sending(fake: FakeLigdicash) -> None:
    with ligdicash.Client(api_key="k", auth_token="t") as client:
        with pytest.raises(ligdicash.InvalidRequestError, match="at least 30 s"):
            client.wait_for_transaction("tok", "merchant_payout", interval=5)
    with make_client(fake) as client:  # the fake server is on loopback: its pace is free
        push_statuses(fake, "pending", "completed")
        done = client.wait_for_transaction("tok", "client_payout", interval=0.01)
    assert done.is_completed
    assert [r.method for r in fake.requests] == ["GET", "GET"]
