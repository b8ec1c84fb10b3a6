"""A span per attempt at a payout item in a real batch on the sandbox, the payout request's
span under it; the ledger's moves counted by the state reached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from otel_telemetry import Telemetry

from ligdicash import Client
from ligdicash.payouts import BatchRunner, Ledger, load_batch, open_ledger

PHONE = "22670123456"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield opened
    opened.close()


def test_each_payout_attempt_is_a_span_and_each_move_is_counted(
    telemetry: Telemetry, ledger: Ledger, ligdicash_sandbox: Any
) -> None:
    rows = [
        {"reference": f"R{i}", "phone": PHONE, "amount": 100 + i, "type": "merchant"}
        for i in range(5)
    ]
    rows.append({"reference": "FAILS", "phone": "22670000500", "amount": 300})
    rows.append({"reference": "NOACCOUNT", "phone": "22670000404", "amount": 300, "type": "client"})
    telemetry.secrets.update({PHONE, "22670000500", "22670000404"})
    batch = load_batch(rows)
    ledger.add_batch(batch)
    with Client(
        api_key=ligdicash_sandbox.api_key,
        auth_token=ligdicash_sandbox.auth_token,
        base_url=ligdicash_sandbox.base_url,
        max_retries=0,
    ) as client:
        result = BatchRunner(ledger, client, batch.id, workers=3, settle_timeout=10.0).run()
    assert result.info.counts == {"completed": 5, "failed": 2}
    for item in ledger.items(batch.id):
        if item.token:
            telemetry.secrets.add(item.token)

    attempts = telemetry.spans("ligdicash payout_item")
    assert len(attempts) == 7
    by_item = {dict(s.attributes or {})["ligdicash.payout.item_id"]: s for s in attempts}
    items = {i.reference: i for i in ledger.items(batch.id)}
    sent = by_item[items["R0"].id]
    assert dict(sent.attributes or {}) == {
        "ligdicash.payout.batch_id": batch.id,
        "ligdicash.payout.item_id": items["R0"].id,
        "ligdicash.attempt": 1,
        "ligdicash.payout.type": "merchant",
        "ligdicash.outcome": "sent",
    }
    refused = dict(by_item[items["NOACCOUNT"].id].attributes or {})
    assert refused["ligdicash.outcome"] == "failed"
    # The payout request's own span is the attempt's child.
    [request] = [
        s
        for s in telemetry.spans("ligdicash merchant_payout")
        if s.parent is not None and s.parent.span_id == sent.context.span_id
    ]
    assert dict(request.attributes or {})["ligdicash.outcome"] == "ok"

    def moved(state: str) -> float:
        return telemetry.total("ligdicash.payout.transitions", **{"ligdicash.payout.state": state})

    assert moved("sending") == 7
    assert moved("sent") == 6
    assert moved("completed") == 5
    assert moved("failed") == 2  # one refused at once, one failed by its status
