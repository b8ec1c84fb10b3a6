"""The report and ``iter_items`` read the ledger in chunks, in file order, and write what
the whole-list report wrote, byte for byte (peak memory: benchmarks/payouts_memory.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ligdicash.payouts import (
    Batch,
    CallbackEvidence,
    Ledger,
    load_batch,
    open_ledger,
    render_report,
    report_rows,
    write_report,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        opened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        opened = open_ledger(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()


def big_batch(ledger: Ledger, n: int = 2_345) -> Batch:
    batch = load_batch(
        [
            {"reference": f"S{i:05d}", "phone": "22670123456", "amount": 100 + i % 900}
            for i in range(n)
        ]
    )
    ledger.add_batch(batch, allow_overlap=True)  # the PostgreSQL database is shared
    return batch


def test_iter_items_reads_every_item_once_in_file_order_across_chunks(any_ledger: Ledger) -> None:
    batch = big_batch(any_ledger)
    seen = list(any_ledger.iter_items(batch.id, chunk=500))
    assert [item.position for item in seen] == list(range(len(batch)))
    assert [item.reference for item in seen] == [it.reference for it in batch.items]
    any_ledger.cancel(seen[3].id)
    any_ledger.cancel(seen[1_999].id)
    cancelled = list(any_ledger.iter_items(batch.id, statuses=["cancelled"], chunk=1))
    assert [item.position for item in cancelled] == [3, 1_999]
    assert list(any_ledger.iter_items("no-such-batch")) == []


def test_the_streamed_report_is_the_whole_list_report_byte_for_byte(any_ledger: Ledger) -> None:
    batch = big_batch(any_ledger)
    first = next(any_ledger.iter_items(batch.id))
    any_ledger.record_callback(
        CallbackEvidence(first.id, "completed", 100, "226*****456", "verified", "eyJ...")
    )
    rows = report_rows(any_ledger, batch.id)
    assert len(rows) == len(batch)
    assert "says completed" in rows[0]["evidence"]
    as_json = render_report(any_ledger, batch.id, "json")
    assert as_json == json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    out = io.StringIO()
    assert write_report(any_ledger, batch.id, out, "csv") == len(batch)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["reference"] for r in parsed] == [r["reference"] for r in rows]
    assert parsed[0]["evidence"] == rows[0]["evidence"]
    assert out.getvalue() == render_report(any_ledger, batch.id, "csv")
