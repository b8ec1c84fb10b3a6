"""Reconciliation rounds pinned where mutation testing (``scripts/mutation.sh
reconcile_round``) found nothing would notice a change: the ``--schedule`` text read
in-process (the commands' tests run them in child processes, which mutmut cannot see), the
error count of a round, a payout confirmed as a payout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from reconcile_helpers import custom, invoice, pay
from store_helpers import Clock
from test_reconciler import Handler, reconciler

import ligdicash
from ligdicash._reconcile_round import parse_schedule
from ligdicash._stores import MemoryStore
from ligdicash.contrib import CallbackProcessor
from ligdicash.sandbox import Sandbox

PHONE = "22670123456"


@pytest.mark.parametrize(
    ("text", "gaps"),
    [
        ("60,300,1800", (60.0, 300.0, 1800.0)),
        (" 60 , 300 ", (60.0, 300.0)),
        ("60,,300,", (60.0, 300.0)),  # empty parts are skipped
        ("2.5", (2.5,)),
    ],
)
def test_a_schedule_is_read_as_seconds(text: str, gaps: tuple[float, ...]) -> None:
    assert parse_schedule(text) == gaps


@pytest.mark.parametrize("text", ["", " , ", "soon", "60,soon", "60;300"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_schedule(text)
    assert str(caught.value) == (
        f"{text!r} is not a comma-separated list of seconds, e.g. 60,300,1800"
    )


# -- rounds against the sandbox (the fixtures of test_reconciler.py) --------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[MemoryStore]:  # type: ignore[override]
    s = MemoryStore(clock=clock)
    yield s
    s.close()


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def processor(client: ligdicash.Client, store: MemoryStore, handler: Handler) -> CallbackProcessor:
    return CallbackProcessor(
        lookup=ligdicash.registry_lookup(store),
        handler=handler,
        on_cancelled=handler,
        client=client,
        store=store,
    )


def other_client(sb: Sandbox) -> ligdicash.Client:
    """A client without the store: what it creates is recorded by hand."""
    return ligdicash.Client(api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url)


def test_every_contradicted_poll_of_a_round_counts_as_an_error(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
) -> None:
    with other_client(ligdicash_sandbox) as other:
        for ref in ("WRONG1", "WRONG2", "WRONG3"):
            token = invoice(other, 3000).pay_with_redirection(custom_data=custom(ref)).token
            store.record_payment(ref, kind="payin", amount=99999, token=token)
            ligdicash_sandbox.set_status(token, "completed")
    clock.advance(60)
    summary = reconciler(store, client, clock, processor).run_once()
    assert (summary.claimed, summary.errors, summary.settled) == (3, 3, 0)
    assert handler.calls == Counter()


@pytest.mark.parametrize("kind", ["client", "merchant"])
def test_a_recorded_payout_is_settled_through_the_processor_as_a_payout(
    ligdicash_sandbox: Sandbox,
    client: ligdicash.Client,
    store: MemoryStore,
    clock: Clock,
    processor: CallbackProcessor,
    handler: Handler,
    kind: str,
) -> None:
    # The documented payout status answer carries no amount: confirmed as a payin (whose
    # answer must carry it), it would be a mismatch and the handler would never run.
    with other_client(ligdicash_sandbox) as other:
        sent = other.Withdrawal(amount=150, description="payout", customer=PHONE).send(
            type=kind, custom_data=custom("PAYOUT1")
        )
    store.record_payment("PAYOUT1", kind=f"{kind}_payout", amount=150, token=str(sent.token))
    ligdicash_sandbox.wait_for_status(str(sent.token), "completed")
    clock.advance(60)
    summary = reconciler(store, client, clock, processor).run_once()
    assert (summary.claimed, summary.settled, summary.errors) == (1, 1, 0)
    # (the documented payout status answer carries no custom_data: the handler's key is None)
    assert sum(handler.calls.values()) == 1
    assert store.get_payment("PAYOUT1").status == "completed"  # type: ignore[union-attr]


def test_every_final_status_whose_handler_failed_counts_as_an_error(
    ligdicash_sandbox: Sandbox, client: ligdicash.Client, store: MemoryStore, clock: Clock
) -> None:
    def broken(transaction: ligdicash.Transaction) -> None:
        raise RuntimeError("the shop's database is down")

    processor = CallbackProcessor(
        lookup=ligdicash.registry_lookup(store), handler=broken, client=client, store=store
    )
    for ref in ("BROKEN1", "BROKEN2", "BROKEN3"):
        ligdicash_sandbox.set_status(pay(client, ref), "completed")
    clock.advance(60)
    summary = reconciler(store, client, clock, processor).run_once()
    assert (summary.polled, summary.settled, summary.errors) == (3, 0, 3)
    assert {store.get_payment(ref).status for ref in ("BROKEN1", "BROKEN2", "BROKEN3")} == {  # type: ignore[union-attr]
        "pending"
    }
