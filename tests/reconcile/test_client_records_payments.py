"""A client given ``store=`` records every payment it creates, before it is sent.

Against the real sandbox: what the store holds at the moment the request leaves (seen from
``on_request``, called just before sending), after the answer, and after each kind of
failure; and that nothing leaves when the payment cannot be recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
from reconcile_helpers import custom, invoice, pay

import ligdicash
from ligdicash._stores import MemoryStore, Store
from ligdicash.sandbox import Sandbox

MOOV_NUMBER = "22660123456"  # approval-mode operator in the sandbox
ORANGE_NUMBER = "22670123456"


def _client(sb: Sandbox, store: Any, **kw: Any) -> ligdicash.Client:
    return ligdicash.Client(
        api_key=sb.api_key,
        auth_token=sb.auth_token,
        base_url=sb.base_url,
        max_retries=0,
        timeout=kw.pop("timeout", 2.0),
        store=store,
        **kw,
    )


CREATIONS: dict[str, tuple[str, int, Callable[[ligdicash.Client, str], Any]]] = {
    "hosted_payin": (
        "payin",
        15000,
        lambda c, ref: invoice(c).pay_with_redirection(
            return_url="http://127.0.0.1:9/ok", custom_data=custom(ref)
        ),
    ),
    "direct_payin": (
        "payin",
        15000,
        lambda c, ref: invoice(c).pay_without_redirection(
            otp="", customer=MOOV_NUMBER, custom_data=custom(ref)
        ),
    ),
    "client_payout": (
        "client_payout",
        5000,
        lambda c, ref: c.Withdrawal(amount=5000, description="Refund", customer=ORANGE_NUMBER).send(
            type="client", custom_data=custom(ref)
        ),
    ),
    "merchant_payout": (
        "merchant_payout",
        4000,
        lambda c, ref: c.Withdrawal(amount=4000, description="Pay", customer=ORANGE_NUMBER).send(
            type="merchant", custom_data=custom(ref)
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CREATIONS))
def test_each_creation_is_recorded_before_it_is_sent_and_gets_its_token_after(
    ligdicash_sandbox: Sandbox, store: Store, name: str
) -> None:
    kind, amount, create = CREATIONS[name]
    seen_at_send: list[Optional[ligdicash.Store]] = []

    def on_request(record: ligdicash.RequestRecord) -> None:
        payment = store.get_payment(f"REF-{name}")
        seen_at_send.append(payment)  # type: ignore[arg-type]

    with _client(ligdicash_sandbox, store, on_request=on_request) as c:
        response = create(c, f"REF-{name}")
    at_send = seen_at_send[0]
    assert at_send is not None, "the payment was not recorded before the request left"
    assert at_send.token is None
    assert at_send.status == "pending"
    payment = store.get_payment(f"REF-{name}")
    assert payment is not None
    assert (payment.kind, payment.amount, payment.status) == (kind, amount, "pending")
    assert payment.token == response.token


def test_a_creation_without_a_transaction_id_is_refused_and_not_sent(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: Store
) -> None:
    with pytest.raises(ligdicash.InvalidRequestError, match="transaction_id"):
        invoice(client).pay_with_redirection(return_url="http://127.0.0.1:9/ok")
    with pytest.raises(ligdicash.InvalidRequestError, match="transaction_id"):
        client.Withdrawal(amount=500, customer=ORANGE_NUMBER).send(custom_data={"x": "1"})
    assert ligdicash_sandbox.transactions() == []
    assert store.payment_counts() == {}


def test_a_reference_already_recorded_is_refused_and_the_second_payment_not_sent(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: Store
) -> None:
    token = pay(client, "ORD-1")
    with pytest.raises(ligdicash.InvalidRequestError, match="already recorded"):
        pay(client, "ORD-1", amount=999)
    assert [t["token"] for t in ligdicash_sandbox.transactions()] == [token]
    payment = store.get_payment("ORD-1")
    assert payment is not None
    assert payment.amount == 15000
    assert payment.token == token


class _DownStore(MemoryStore):
    """A store whose server is gone (what the real backends raise then)."""

    def get_payment(self, reference: str) -> Any:
        raise ligdicash.StoreUnavailableError("the store is unreachable (test)")

    def record_payment(self, reference: str, **kw: Any) -> Any:
        raise ligdicash.StoreUnavailableError("the store is unreachable (test)")


def test_a_store_that_cannot_record_stops_the_payment_before_it_is_sent(
    ligdicash_sandbox: Sandbox,
) -> None:
    with _client(ligdicash_sandbox, _DownStore()) as c:
        with pytest.raises(ligdicash.StoreUnavailableError):
            pay(c, "ORD-DOWN")
        with pytest.raises(ligdicash.StoreUnavailableError):
            c.Withdrawal(amount=500, customer=ORANGE_NUMBER).send(custom_data=custom("P-DOWN"))
    assert ligdicash_sandbox.transactions() == []


def test_an_unreachable_postgresql_store_stops_the_payment_before_it_is_sent(
    ligdicash_sandbox: Sandbox,
) -> None:
    store = ligdicash.open_store("postgresql://postgres@127.0.0.1:1/nowhere", timeout=1.0)
    try:
        with _client(ligdicash_sandbox, store) as c, pytest.raises(ligdicash.StoreUnavailableError):
            pay(c, "ORD-PG-DOWN")
    finally:
        store.close()
    assert ligdicash_sandbox.transactions() == []


def test_a_lost_creation_answer_leaves_the_payment_in_doubt_not_lost(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: Store
) -> None:
    ligdicash_sandbox.add_fault("drop_after", count=1, path="checkout-invoice/create")
    with pytest.raises(ligdicash.APIConnectionError) as info:
        pay(client, "ORD-LOST")
    assert info.value.request_may_have_been_sent
    assert len(ligdicash_sandbox.transactions()) == 1  # it did land
    payment = store.get_payment("ORD-LOST")
    assert payment is not None
    assert (payment.status, payment.token) == ("in_doubt", None)
    assert store.payment_counts() == {"in_doubt": 1}


def test_a_creation_that_never_left_is_marked_not_sent(store: Store) -> None:
    with ligdicash.Client(
        api_key="k", auth_token="t", base_url="http://127.0.0.1:1/pay/v01/", store=store
    ) as c:
        with pytest.raises(ligdicash.APIConnectionError) as info:
            pay(c, "ORD-REFUSED-CONN")
    assert not info.value.request_may_have_been_sent
    payment = store.get_payment("ORD-REFUSED-CONN")
    assert payment is not None
    assert payment.status == "not_sent"


def test_a_creation_ligdicash_refuses_is_marked_refused(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: Store
) -> None:
    ligdicash_sandbox.set_balance(0)
    with pytest.raises(ligdicash.MerchantBalanceLowError):
        client.Withdrawal(amount=4000, customer=ORANGE_NUMBER).send(
            type="merchant", custom_data=custom("PAY-LOW")
        )
    payment = store.get_payment("PAY-LOW")
    assert payment is not None
    assert payment.status == "refused"
    assert payment.note.startswith("MerchantBalanceLowError (")


def test_a_client_opens_a_store_url_and_closes_it(
    ligdicash_sandbox: Sandbox, tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    with _client(ligdicash_sandbox, url) as c:
        token = pay(c, "ORD-URL")
        assert isinstance(c.store, ligdicash.Store)
    reopened = ligdicash.open_store(url)
    try:
        payment = reopened.get_payment("ORD-URL")
        assert payment is not None
        assert payment.token == token
    finally:
        reopened.close()


def test_a_client_without_a_store_records_nothing_and_needs_no_transaction_id(
    ligdicash_sandbox: Sandbox,
) -> None:
    with _client(ligdicash_sandbox, None) as c:
        assert c.store is None
        invoice(c).pay_with_redirection(return_url="http://127.0.0.1:9/ok")
    assert len(ligdicash_sandbox.transactions()) == 1


def test_a_store_of_the_wrong_type_is_a_configuration_error() -> None:
    with pytest.raises(ligdicash.ConfigurationError, match="store"):
        ligdicash.Client(api_key="k", auth_token="t", store=object())  # type: ignore[arg-type]


@pytest.fixture
def async_store() -> Iterator[Store]:
    s = MemoryStore()
    yield s
    s.close()


def test_the_async_client_records_the_same_way(
    ligdicash_sandbox: Sandbox, async_store: Store
) -> None:
    async def main() -> str:
        async with ligdicash.AsyncClient(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
            max_retries=0,
            timeout=2.0,
            store=async_store,
        ) as c:
            response = await invoice(c).pay_with_redirection(
                return_url="http://127.0.0.1:9/ok", custom_data=custom("A-1")
            )
            ligdicash_sandbox.add_fault("drop_after", count=1, path="withdrawal/create")
            with pytest.raises(ligdicash.APIConnectionError):
                await c.Withdrawal(amount=700, customer=ORANGE_NUMBER).send(
                    custom_data=custom("A-2")
                )
            with pytest.raises(ligdicash.InvalidRequestError, match="transaction_id"):
                await invoice(c).pay_with_redirection(return_url="http://127.0.0.1:9/ok")
            return str(response.token)

    token = asyncio.run(main())
    first, second = async_store.get_payment("A-1"), async_store.get_payment("A-2")
    assert first is not None
    assert first.token == token
    assert first.status == "pending"
    assert second is not None
    assert second.status == "in_doubt"
    assert second.amount == 700
    assert len(ligdicash_sandbox.transactions()) == 2


def test_registry_lookup_finds_a_recorded_payment_by_the_callbacks_order_id(
    client: ligdicash.Client, store: Store
) -> None:
    from ligdicash.contrib import ExpectedTransaction

    token = pay(client, "ORD-L", amount=2500)
    lookup = ligdicash.registry_lookup(store)
    body = b'{"custom_data": {"transaction_id": "ORD-L"}, "token": "x", "status": "completed"}'
    callback = ligdicash.parse_callback(body, "application/json")
    assert lookup(callback) == ExpectedTransaction(token, 2500, "ORD-L", "payin")
    other = ligdicash.parse_callback(body.replace(b"ORD-L", b"ORD-X"), "application/json")
    assert lookup(other) is None
    store.record_payment("ORD-NOTOKEN", kind="payin", amount=1)
    tokenless = ligdicash.parse_callback(body.replace(b"ORD-L", b"ORD-NOTOKEN"), "application/json")
    assert lookup(tokenless) is None


def test_an_async_creation_cancelled_in_flight_is_still_marked_in_doubt(
    ligdicash_sandbox: Sandbox, async_store: Store
) -> None:
    import anyio

    ligdicash_sandbox.add_fault("latency", count=1, path="checkout-invoice/create", latency_ms=5000)

    async def main() -> bool:
        async with ligdicash.AsyncClient(
            api_key=ligdicash_sandbox.api_key,
            auth_token=ligdicash_sandbox.auth_token,
            base_url=ligdicash_sandbox.base_url,
            max_retries=0,
            timeout=30.0,
            store=async_store,
        ) as c:
            # anyio's cancellation is level-triggered: every await in the cancelled scope
            # is cancelled again, so only a shielded store call can record the outcome.
            with anyio.move_on_after(0.5) as scope:
                await invoice(c).pay_with_redirection(custom_data=custom("CANCELLED-1"))
            return scope.cancelled_caught

    assert asyncio.run(main())
    payment = async_store.get_payment("CANCELLED-1")
    assert payment is not None
    assert (payment.status, payment.note) == ("in_doubt", "CancelledError")
