"""The runner's in-flight windows against the real sandbox: many payouts on the wire at once,
and still nobody paid twice (the sandbox's own payout list is the judge)."""

from __future__ import annotations

import asyncio
import collections
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli, popen, sandbox_env

import ligdicash
from ligdicash import Client, InvalidRequestError
from ligdicash._drive import drive
from ligdicash.payouts import (
    BatchRunner,
    Ledger,
    aapply_callback,
    account_ledger_url,
    apoll_sent,
    load_batch,
    open_ledger,
)
from ligdicash.payouts._records import LedgerItem
from ligdicash.payouts._send import send_item


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def rows(n: int, kind: str = "merchant", amount: int = 100) -> list[dict[str, Any]]:
    return [
        {"reference": f"W{i:04d}", "phone": "22670123456", "amount": amount, "type": kind}
        for i in range(n)
    ]


def paid_ids(sb: Any) -> collections.Counter[str]:
    """How many payouts the sandbox holds per ledger item id."""
    return collections.Counter(
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    )


def async_client(sb: Any) -> ligdicash.AsyncClient:
    return ligdicash.AsyncClient(
        api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, max_retries=0
    )


def test_a_stop_refusal_with_many_in_flight_sends_no_more_and_leaves_the_rest_pending(
    ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    # 40 payouts of 100 fit; latency keeps the 32 slots full when the balance runs out.
    ligdicash_sandbox.set_balance(4000)
    ligdicash_sandbox.add_fault("latency", count=10_000, path="payout", latency_ms=100)
    batch = load_batch(rows(400))
    ledger.add_batch(batch)
    sends: list[str] = []
    with Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        on_request=lambda r: sends.append(r.operation) if r.operation.endswith("payout") else 0,
    ) as client:
        result = BatchRunner(
            ledger, client, batch.id, workers=4, in_flight=8, settle_timeout=10
        ).run()
    assert result.stopped == "paused"
    assert "MerchantBalanceLow" in result.info.paused_reason
    paid = paid_ids(ligdicash_sandbox)
    assert sorted(paid.values()) == [1] * 40
    assert result.info.counts == {"completed": 40, "pending": 360}
    # Only the requests already in flight met the refusal (at most one per slot), then
    # nothing more was sent: not hundreds of refusals.
    refused = [i for i in ledger.items(batch.id) if i.status == "pending" and i.error_code]
    assert 1 <= len(refused) <= 32
    assert len(sends) == 40 + len(refused)
    # The next run resumes where it stopped, and pays each one once.
    ligdicash_sandbox.clear_faults()
    ligdicash_sandbox.set_balance(10_000_000)
    with Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
    ) as client:
        final = BatchRunner(ledger, client, batch.id, workers=4, settle_timeout=10).run()
    assert final.info.counts == {"completed": 400}
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 400


@pytest.mark.parametrize(("fault", "created"), [("drop", 0), ("drop_after", 1)])
def test_lost_answers_with_many_in_flight_are_in_doubt_and_never_resent(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any, fault: str, created: int
) -> None:
    ligdicash_sandbox.add_fault(fault, count=5, path="withdrawal/create")
    batch = load_batch(rows(60, kind="client"))
    ledger.add_batch(batch)
    result = BatchRunner(
        ledger, sb_client, batch.id, workers=2, in_flight=16, settle_timeout=10
    ).run()
    assert result.info.counts == {"completed": 55, "in_doubt": 5}
    doubts = ledger.items(batch.id, statuses=["in_doubt"])
    paid = paid_ids(ligdicash_sandbox)
    # drop: lost before LigdiCash saw it; drop_after: created, answer lost.
    assert [paid[d.id] for d in doubts] == [created] * 5
    again = BatchRunner(ledger, sb_client, batch.id, workers=2, in_flight=16).run()
    assert again.info.counts == {"completed": 55, "in_doubt": 5}
    assert paid_ids(ligdicash_sandbox) == paid  # nothing re-sent
    assert all(i.attempts == 1 for i in ledger.items(batch.id))


def test_the_rate_limit_holds_across_every_request_in_flight(
    ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    sent_at: list[float] = []

    def record(request: Any) -> None:
        if request.operation in ("client_payout", "merchant_payout"):
            sent_at.append(request.created_at.timestamp())

    batch = load_batch(rows(30))
    ledger.add_batch(batch)
    with Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        on_request=record,
    ) as client:
        runner = BatchRunner(
            ledger, client, batch.id, workers=8, in_flight=8, rate=20, settle_timeout=0
        )
        started = time.time()
        result = runner.run()
    assert result.info.count("sent", "completed") == 30
    assert len(sent_at) == 30
    # 20 per second over 64 slots: send k (in time order) went out no earlier than k/20 s
    # after the start, however late the loop ran any of them (1 ms of clock slack).
    early = [k for k, at in enumerate(sorted(sent_at)) if at - started < k / 20 - 0.001]
    assert early == []


def test_a_stop_refusal_is_halted_before_it_is_recorded() -> None:
    """The sans-IO item logic: every sender stops claiming before the refusal's ledger
    writes (which take a thread hop each) are even started."""
    from ligdicash import MerchantBalanceLowError

    item = LedgerItem(
        id="b-1",
        batch_id="b",
        position=0,
        reference="1",
        phone="22670123456",
        amount=100,
        type="merchant",
        to_wallet=False,
        description="",
        status="sending",
    )
    calls: list[tuple[Any, ...]] = []

    class Refused:
        """The account's side of the send (refused for a low balance) and the ledger's."""

        def Withdrawal(self, *args: Any) -> Refused:
            return self

        def send(self, **kwargs: Any) -> Any:
            calls.append(("send",))
            raise MerchantBalanceLowError("balance too low", code="04")

        def move(self, *args: Any, **kwargs: Any) -> bool:
            calls.append(("move", *args))
            return True

        def set_paused(self, *args: Any) -> None:
            calls.append(("set_paused", *args))

    def halt(kind: str, detail: str) -> None:
        calls.append(("halt", kind))

    fake: Any = Refused()
    outcome = drive(send_item(fake, fake, item, "b", "", halt=halt))
    assert outcome is not None
    assert outcome.fate.value == "stop"
    assert [call[0] for call in calls] == ["send", "halt", "move", "set_paused"]
    assert calls[1] == ("halt", "paused")
    assert calls[2] == ("move", "b-1", "pending")
    assert calls[3][:2] == ("set_paused", "b")


# The documented payout callback carries no hash: only the legacy wire's hashed payout
# callbacks can settle an item that has no token (this path is being reworked: a callback
# never settles an in_doubt payout).
@pytest.mark.parametrize("ligdicash_sandbox_server", ["legacy"], indirect=True)
@pytest.mark.anyio
async def test_arun_with_an_async_client_and_aapply_callback_keep_a_lost_answer_in_doubt(
    ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    from ligdicash.sandbox import CallbackReceiver

    ligdicash_sandbox.add_fault("drop_after", count=1, path="withdrawal/create")
    batch = load_batch(rows(12, kind="client"))
    ledger.add_batch(batch)
    creds = {"api_key": ligdicash_sandbox.api_key, "auth_token": ligdicash_sandbox.auth_token}
    async with async_client(ligdicash_sandbox) as client:
        with CallbackReceiver() as rx:
            runner = BatchRunner(
                ledger, client, batch.id, workers=2, in_flight=4, callback_url=rx.callback_url
            )
            with pytest.raises(InvalidRequestError):
                runner.run()  # a blocking run inside a running loop: refused
            result = await runner.arun()
            assert result.info.counts == {"completed": 11, "in_doubt": 1}
            (doubt,) = ledger.items(batch.id, statuses=["in_doubt"])
            entries = await asyncio.to_thread(ligdicash_sandbox.wait_for_callbacks, 24, timeout=20)
        mine = [e for e in entries if doubt.id in e["body"]]
        assert mine
        outcome = await aapply_callback(
            ledger, client, mine[0]["body"].encode(), mine[0]["content_type"], **creds
        )
        # No token to ask with: the callback is evidence for the operator, not a settlement.
        assert (outcome.action, outcome.status) == ("recorded", "in_doubt")
        # A sent item's callback is confirmed by an awaited status call.
        (other,) = [e for e in entries if batch.id in e["body"] and doubt.id not in e["body"]][:1]
        again = await aapply_callback(
            ledger, client, other["body"].encode(), other["content_type"], **creds
        )
        assert again.action == "already_final"
        (server_side,) = [
            tx
            for tx in ligdicash_sandbox.transactions()
            if (tx.get("custom_data") or {}).get("transaction_id") == doubt.id
        ]
        ledger.resolve(doubt.id, sent_token=server_side["token"])
        assert await apoll_sent(ledger, client, batch.id, interval=0) == 1
    settled = ledger.get(doubt.id)
    assert settled is not None
    assert (settled.status, settled.resolution) == ("completed", "operator: sent")
    assert "says completed" in settled.evidence
    assert sorted(paid_ids(ligdicash_sandbox).values()) == [1] * 12


def test_sigint_with_wide_windows_then_resume_pays_everyone_once(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    lines = ["reference;phone;amount;type"]
    lines += [f"C{i:03d};22670123456;{100 + i};merchant" for i in range(400)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ligdicash_sandbox.add_fault("latency", count=10_000, path="payout", latency_ms=150)
    args = ("payouts", "run", str(path), "--yes", "--workers", "2", "--in-flight", "16")
    args += ("--allow-repeat-recipient",)  # every row pays one number
    proc = popen(*args, env=env)
    deadline = time.monotonic() + 60
    while sum(paid_ids(ligdicash_sandbox).values()) < 40:
        assert time.monotonic() < deadline, "the run never started paying"
        assert proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    ledger = open_ledger(account_ledger_url(ligdicash_sandbox.api_key))
    batch_id = load_batch(str(path)).id
    info = ledger.batch_info(batch_id)
    assert info.count("sending", "in_doubt") == 0  # what was in flight was recorded
    assert 40 <= info.count("sent", "completed") < 400
    assert sum(paid_ids(ligdicash_sandbox).values()) == info.count("sent", "completed")
    ligdicash_sandbox.clear_faults()
    final = cli(*args, env=env)
    assert final.returncode == 0, final.stderr
    assert ledger.batch_info(batch_id).counts == {"completed": 400}
    paid = paid_ids(ligdicash_sandbox)
    assert len(paid) == 400
    assert set(paid.values()) == {1}
    ledger.close()


@pytest.mark.parametrize("in_flight", [0, -2, True])
def test_in_flight_must_be_a_positive_int(
    ledger: Ledger, sb_client: Client, in_flight: Any
) -> None:
    with pytest.raises(InvalidRequestError):
        BatchRunner(ledger, sb_client, "b0", in_flight=in_flight)


def test_nothing_leaves_the_machine_the_run_gives_up_with_every_item_pending(
    ledger: Ledger,
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    batch = load_batch(rows(100))
    ledger.add_batch(batch)
    with Client(
        api_key="k", auth_token="t", base_url=f"http://127.0.0.1:{port}/pay/v01/"
    ) as client:
        result = BatchRunner(ledger, client, batch.id, workers=4, in_flight=8).run()
    assert result.stopped == "network"
    # Refused connections prove nothing was sent: back to pending, none in doubt.
    assert result.info.counts == {"pending": 100}


def test_stop_from_another_thread_finishes_what_is_in_flight(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    import threading

    ligdicash_sandbox.add_fault("latency", count=10_000, path="payout", latency_ms=100)
    batch = load_batch(rows(500))
    ledger.add_batch(batch)
    runner = BatchRunner(ledger, sb_client, batch.id, workers=4, in_flight=8)

    def stop_once_paying() -> None:  # as a signal handler or a web app's thread would
        deadline = time.monotonic() + 60
        while sum(paid_ids(ligdicash_sandbox).values()) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        runner.stop()

    stopper = threading.Thread(target=stop_once_paying)
    stopper.start()
    result = runner.run()
    stopper.join()
    assert result.stopped == "interrupted"
    assert result.info.count("sending", "in_doubt") == 0
    assert 20 <= result.info.count("sent", "completed") < 500
    assert sum(paid_ids(ligdicash_sandbox).values()) == result.info.count("sent", "completed")


def test_the_item_logic_driven_blocking_records_the_same_answer(
    ledger: Ledger, sb_client: Client, ligdicash_sandbox: Any
) -> None:
    """send_item is I/O-free: the blocking driver runs it exactly like the engine."""
    from ligdicash.payouts import WorkerIdentity

    batch = load_batch(rows(1))
    ledger.add_batch(batch)
    item = ledger.claim(batch.id, WorkerIdentity())
    assert item is not None
    outcome = drive(send_item(ledger, sb_client, item, batch.id, ""))
    assert outcome is None
    after = ledger.get(item.id)
    assert after is not None
    assert after.status == "sent"
    assert after.token
    assert paid_ids(ligdicash_sandbox)[item.id] == 1
