"""Forged callbacks against the durable inbox (issue 17, items 7 and 9): a refusal is final
and logged once, never a retry; what an unauthenticated sender can make the shop keep is
bounded; finished entries are purged after their retention.

The status call goes to the scriptable LigdiCash server (``fake``); the stores are real
(SQLite here; the retention and bound contract runs on every backend in
``tests/stores/test_inbox_retention.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash
from ligdicash import open_store
from ligdicash._stores import Store
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction, ProcessResult

ORDER = "ORD-20240512"
EXPECTED = ExpectedTransaction(token=LONG_TOKEN, amount=31500, transaction_id=ORDER)
JSON = "application/json"


def body(token: str, **extra: Any) -> bytes:
    fields = {
        "token": token,
        "status": "completed",
        "amount": 31500,
        "custom_data": {"transaction_id": ORDER},
    }
    fields.update(extra)
    return json.dumps(fields).encode()


class Shop:
    def __init__(self) -> None:
        self.delivered: list[ligdicash.Transaction] = []
        self.results: list[ProcessResult] = []

    def lookup(self, callback: ligdicash.Callback) -> Optional[ExpectedTransaction]:
        return EXPECTED if callback.order_id == ORDER else None

    def deliver(self, transaction: ligdicash.Transaction) -> None:
        self.delivered.append(transaction)


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'callbacks.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def proc(fake: FakeLigdicash, shop: Shop, store: Store) -> Iterator[CallbackProcessor]:
    client = ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
    )
    yield CallbackProcessor(
        lookup=shop.lookup,
        handler=shop.deliver,
        client=client,
        store=store,
        on_result=shop.results.append,
        lease_seconds=0.6,
        max_attempts=3,
    )
    client.close()


# -- item 9: a body carrying the creation token ------------------------------------------


def test_a_body_carrying_the_creation_token_is_refused_once_not_swept(
    proc: CallbackProcessor,
    store: Store,
    shop: Shop,
    fake: FakeLigdicash,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ligdicash.callbacks")
    # The creation token is in the payment page's URL: anyone who saw it can put it in a body.
    entry = proc.accept(body(LONG_TOKEN), JSON)
    assert entry is not None
    result = proc.process_inbox(entry.digest)
    assert (result.outcome, result.reason) == ("refused", "forged_token")
    # Final: nothing left for the sweeper, and nothing kept (a refusal is discarded).
    assert store.inbox_get(entry.digest) is None
    assert proc.sweep() == 0
    assert shop.delivered == []
    assert fake.requests == []  # refused before any status call
    about = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in about] == ["WARNING"]
    assert "creation token" in about[0].getMessage()
    assert LONG_TOKEN not in caplog.text


# -- item 7: what forged bodies can make the shop keep -----------------------------------


def test_refused_ignored_and_duplicate_callbacks_leave_nothing_in_the_inbox(
    proc: CallbackProcessor, store: Store, shop: Shop
) -> None:
    genuine = proc.accept(body("cb-token"), JSON)
    assert genuine is not None
    assert proc.process_inbox(genuine.digest).outcome == "processed"
    forged = [
        body("cb-token", custom_data={"transaction_id": "ORD-UNKNOWN"}),  # refused
        body("cb-token", status="pending"),  # ignored: not final
        body("cb-token-2"),  # another copy of the done event: a duplicate
    ]
    outcomes = []
    for raw in forged:
        entry = proc.accept(raw, JSON)
        assert entry is not None
        outcomes.append(proc.process_inbox(entry.digest).outcome)
    assert outcomes == ["refused", "ignored", "duplicate"]
    assert store.inbox_counts() == {"pending": 0, "processing": 0, "done": 1}
    assert [e.digest for e in store.inbox_list()] == [genuine.digest]
    assert len(shop.delivered) == 1


def test_a_full_inbox_keeps_no_more_and_the_endpoint_answers_503(
    fake: FakeLigdicash, shop: Shop, store: Store
) -> None:
    from ligdicash import StoreUnavailableError
    from ligdicash.contrib._endpoint import receive

    proc = CallbackProcessor(lookup=shop.lookup, handler=shop.deliver, store=store, max_pending=3)
    for n in range(3):  # a flood nobody processes yet
        assert proc.accept(body("cb", custom_data={"transaction_id": f"F-{n}"}), JSON)
    with pytest.raises(StoreUnavailableError) as caught:
        proc.accept(body("cb-token"), JSON)
    assert caught.value.code == "inbox_full"
    assert receive(proc, body("cb-token"), JSON).status == 503
    assert store.inbox_backlog() == 3


def test_the_genuine_callback_sent_again_after_the_flood_is_processed_once(
    fake: FakeLigdicash, shop: Shop, store: Store
) -> None:
    client = ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
    )
    proc = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store, max_pending=2
    )
    try:
        for n in range(2):
            assert proc.accept(body("cb", custom_data={"transaction_id": f"F-{n}"}), JSON)
        from ligdicash.contrib._endpoint import receive

        assert receive(proc, body("cb-token"), JSON).status == 503  # LigdiCash will resend
        assert proc.sweep() == 2  # the forged ones: refused and discarded
        assert store.inbox_backlog() == 0
        again = receive(proc, body("cb-token"), JSON)  # LigdiCash's next attempt
        assert again.status == 200
        assert again.digest is not None
        assert proc.process_inbox(again.digest).outcome == "processed"
        assert receive(proc, body("cb-token"), JSON).status == 200
        assert len(shop.delivered) == 1
    finally:
        client.close()


def test_the_sweep_purges_finished_entries_past_the_retention(
    fake: FakeLigdicash, shop: Shop, store: Store
) -> None:
    client = ligdicash.Client(
        api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url, max_retries=0
    )
    proc = CallbackProcessor(
        lookup=shop.lookup, handler=shop.deliver, client=client, store=store, inbox_retention=0
    )
    kept = CallbackProcessor(lookup=shop.lookup, handler=shop.deliver, client=client, store=store)
    try:
        entry = kept.accept(body("cb-token"), JSON)
        assert entry is not None
        assert kept.process_inbox(entry.digest).outcome == "processed"
        assert kept.sweep() == 0
        assert store.inbox_counts()["done"] == 1  # 7 days by default: kept
        assert proc.sweep() == 0
        assert store.inbox_counts()["done"] == 0  # retention 0: purged by the sweep
        # Purged, the same bytes again are a duplicate of the done event: exactly once.
        again = proc.accept(body("cb-token"), JSON)
        assert again is not None
        assert proc.process_inbox(again.digest).outcome == "duplicate"
        assert len(shop.delivered) == 1
    finally:
        client.close()
