"""``AsyncClient.from_client``: an async client for a sync client's account, with its very
settings and store; and the names that moved between modules, still at their old paths."""

from __future__ import annotations

import asyncio

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, status_body
from ligdicash import AsyncClient, Client, RequestRecord


def test_an_async_twin_sends_with_the_sync_clients_settings_and_hook(
    fake: FakeLigdicash, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[RequestRecord] = []
    client = Client(
        api_key=fake.api_key,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        timeout=7,
        max_retries=0,
        on_request=seen.append,
    )
    # The twin reads nothing again: an environment changed since is not its business.
    monkeypatch.setenv("LIGDICASH_BASE_URL", "https://elsewhere.example/pay/v01/")
    monkeypatch.setenv("LIGDICASH_API_KEY", "another-key")
    fake.push_json(status_body("TOKEN-1"))

    async def check() -> str:
        async with AsyncClient.from_client(client) as twin:
            assert (twin.base_url, twin.platform) == (client.base_url, client.platform)
            assert (twin.timeout, twin.max_retries) == (client.timeout, 0)
            assert twin.store is None
            return (await twin.get_transaction("TOKEN-1", "payin")).status

    assert asyncio.run(check()) == "completed"
    assert [r.operation for r in seen] == ["payin_status"]
    assert fake.requests[-1].headers["apikey"] == fake.api_key
    # Its own pool: closing the twin left the sync client working.
    fake.push_json(status_body("TOKEN-2"))
    assert client.get_transaction("TOKEN-2", "payin").status == "completed"
    client.close()


def test_an_async_twin_records_into_the_clients_store_and_leaves_it_open(
    fake: FakeLigdicash,
) -> None:
    store = ligdicash.open_store("memory://")
    client = Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url, store=store
    )

    async def pay() -> str:
        twin = AsyncClient.from_client(client)
        try:
            invoice = twin.Invoice(description="Order", total_amount=500)
            response = await invoice.pay_with_redirection(
                callback_url="https://shop.example/cb", custom_data={"transaction_id": "T-1"}
            )
            return response.token
        finally:
            await twin.aclose()

    token = asyncio.run(pay())
    record = store.get_payment("T-1")  # the store is still open after the twin closed
    assert record is not None
    assert record.token == token
    client.close()
    store.close()


def test_each_client_builds_and_closes_its_own_pool_unless_given_one(fake: FakeLigdicash) -> None:
    import httpx

    given = httpx.Client()
    with Client(api_key="k", auth_token="t", base_url=fake.base_url, http_client=given) as c:
        assert c._http is given
    assert not given.is_closed
    given.close()
    with Client(api_key="k", auth_token="t", base_url=fake.base_url) as c:
        own = c._http
        assert isinstance(own, httpx.Client)
    assert own.is_closed


def test_names_that_moved_keep_their_old_import_paths() -> None:
    import ligdicash._async_client as async_client_module
    import ligdicash._cli as cli
    import ligdicash._cli._common as common
    import ligdicash._types as core_types
    import ligdicash.contrib as contrib
    import ligdicash.contrib._types as contrib_types
    from ligdicash._cli import _base
    from ligdicash._sharded import ShardedTransport
    from ligdicash._stores import IdempotencyStore, MemoryStore, SQLiteStore

    for name in ("ExpectedTransaction", "ProcessResult", "event_key", "Lookup"):
        assert getattr(contrib_types, name) is getattr(core_types, name)
        assert getattr(contrib, name) is getattr(core_types, name)
    assert contrib_types.ClientLike is not None
    assert async_client_module.ShardedTransport is ShardedTransport
    assert contrib.SQLiteIdempotencyStore is SQLiteStore
    assert contrib.MemoryIdempotencyStore is MemoryStore
    assert contrib.IdempotencyStore is IdempotencyStore
    for name in ("CONTEXT_SETTINGS", "USAGE_ERROR", "fail", "missing", "version_option"):
        assert getattr(cli, name) is getattr(_base, name)
    for name in ("lang_option", "language", "say"):
        assert getattr(common, name) is getattr(_base, name)


def test_the_registry_lookup_returns_the_documented_expected_transaction() -> None:
    from ligdicash.contrib import ExpectedTransaction

    store = ligdicash.open_store("memory://")
    store.record_payment("R-1", kind="payin", amount=500)
    store.set_payment_token("R-1", "TOKEN-R")
    callback = ligdicash.parse_callback(
        b'{"token": "", "status": "completed", "custom_data": {"transaction_id": "R-1"}}',
        "application/json",
    )
    expected = ligdicash.registry_lookup(store)(callback)
    assert isinstance(expected, ExpectedTransaction)
    assert (expected.token, expected.amount, expected.transaction_id) == ("TOKEN-R", 500, "R-1")
    store.close()
