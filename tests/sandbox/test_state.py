"""State lives in SQLite: it survives restarts with --db, stays consistent under load, resets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sandbox_helpers import confirm, create, payin_body, payout_body, wait_until

from ligdicash.sandbox import Sandbox, SandboxConfig

HOSTED = "redirect/checkout-invoice/create"


def _client(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers=sandbox.auth_headers, trust_env=False)


def test_a_database_file_keeps_transactions_and_balance_across_restarts(tmp_path: Path) -> None:
    config = SandboxConfig.fast(db_path=str(tmp_path / "sandbox.db"), balance=100_000)
    with Sandbox(config) as first, _client(first) as api:
        token = create(api, HOSTED, payin_body())["token"]
        payout = create(api, "withdrawal/create", payout_body())["token"]
        first.set_status(token, "completed")
        wait_until(lambda: confirm(api, "client_payout", payout)["status"] == "completed")
        balance = first.balance()

    with Sandbox(config) as second, _client(second) as api:
        assert confirm(api, "payin", token)["status"] == "completed"
        assert confirm(api, "client_payout", payout)["status"] == "completed"
        assert second.balance() == balance == 100_000 + 31500 - 5000
        assert create(api, HOSTED, payin_body())["token"] != token


def test_a_settlement_planned_before_a_restart_happens_after_it(tmp_path: Path) -> None:
    config = SandboxConfig.fast(db_path=str(tmp_path / "s.db"), client_payout_delay=0.5)
    with Sandbox(config) as first, _client(first) as api:
        token = create(api, "withdrawal/create", payout_body())["token"]
        assert confirm(api, "client_payout", token)["status"] == "pending"

    with Sandbox(config) as second:
        wait_until(lambda: second.transaction(token)["status"] == "completed")


def test_the_default_database_is_in_memory_and_forgotten(make_sandbox: Any) -> None:
    first = make_sandbox()
    with _client(first) as api:
        token = create(api, HOSTED, payin_body())["token"]
    second = make_sandbox()
    with _client(second) as api:
        assert confirm(api, "payin", token)["response_text"] == "Echec (Code02)"


def test_fifty_concurrent_creations_lose_no_row(sb: Sandbox) -> None:
    def one(_: int) -> str:
        with _client(sb) as api:
            token: str = create(api, HOSTED, payin_body())["token"]
            return token

    with ThreadPoolExecutor(max_workers=50) as pool:
        tokens = list(pool.map(one, range(50)))

    records = sb.transactions()
    assert len(set(tokens)) == 50
    assert {r["token"] for r in records} == set(tokens)
    assert sorted(r["id"] for r in records) == list(range(1, 51))


def test_concurrent_payouts_never_overdraw_the_balance(sb: Sandbox) -> None:
    sb.set_balance(50_000)

    def one(i: int) -> str:
        with _client(sb) as api:
            answer = create(api, "withdrawal/create", payout_body(transaction_id=f"P-{i}"))
            return str(answer["response_code"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(one, range(20)))

    assert codes.count("00") == 10
    assert sb.balance() == 0


def test_reset_wipes_transactions_callbacks_faults_and_restores_the_balance(
    sb: Sandbox, api: httpx.Client
) -> None:
    create(api, HOSTED, payin_body())
    sb.set_balance(5)
    sb.add_fault("http_500", path="never")

    sb.reset()

    assert sb.transactions() == []
    assert sb.callbacks() == []
    assert sb.faults() == []
    assert sb.balance() == 10_000_000


def test_a_status_read_racing_the_scheduler_answers_the_settled_state(
    sb: Sandbox, monkeypatch: Any
) -> None:
    # The scheduler's thread may settle a due payment between the status call's read and
    # its own settling write; the answer must be the settled state, not the stale pending
    # record (a documented example once saw "pending" for an OTP payment already paid).
    engine = sb.app.engine
    body = payin_body(customer="22670123456", otp="123456")
    with _client(sb) as api:
        token = create(api, "straight/checkout-invoice/create", body)["token"]
    read = engine.store.get(token)
    assert read is not None
    # What the status call read: still pending, due now.
    stale = read.replace(status="pending", settle_at=0.0, settle_status="completed")
    engine.set_status(token, "completed")  # the scheduler's thread wins the race
    real_get = engine.store.get
    reads = iter([stale])
    monkeypatch.setattr(engine.store, "get", lambda t: next(reads, None) or real_get(t))
    engine._cache.clear()
    answer = engine.confirm("payin", token).decode()
    assert '"status": "completed"' in answer or '"status":"completed"' in answer
