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
    stored = store.inbox_get(entry.digest)
    assert stored is not None
    assert (stored.state, stored.outcome) == ("done", "refused")
    assert proc.sweep() == 0  # final: nothing left for the sweeper
    assert shop.delivered == []
    assert fake.requests == []  # refused before any status call
    about = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in about] == ["WARNING"]
    assert "creation token" in about[0].getMessage()
    assert LONG_TOKEN not in caplog.text
