"""The batch report: one row per item (CSV or JSON), for people and for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, TextIO

from ._ledger import Ledger
from ._records import LedgerItem

__all__ = ["REPORT_COLUMNS", "render_report", "report_rows", "write_report"]

REPORT_COLUMNS = (
    "reference",
    "phone",
    "amount",
    "type",
    "status",
    "token",
    "error",
    "error_code",
    "resolution",
    "evidence",
    "attempts",
    "item_id",
)


def _row(item: LedgerItem) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "phone": item.phone,
        "amount": item.amount,
        "type": item.type,
        "status": item.status,
        "token": item.token,
        "error": item.error,
        "error_code": item.error_code,
        "resolution": item.resolution,
        "evidence": item.evidence,
        "attempts": item.attempts,
        "item_id": item.id,
    }


def report_rows(ledger: Ledger, batch_id: str) -> list[dict[str, Any]]:
    """One dict per item of the batch, in file order, with :data:`REPORT_COLUMNS`."""
    return [_row(item) for item in ledger.iter_items(batch_id)]


def render_report(ledger: Ledger, batch_id: str, format: str = "csv") -> str:
    """The report as CSV (``,`` separated, header first) or as a JSON list.

    Raises:
        InvalidRequestError: unknown batch.
        ValueError: unknown format.
    """
    out = io.StringIO()
    write_report(ledger, batch_id, out, format)
    return out.getvalue()


def write_report(ledger: Ledger, batch_id: str, out: TextIO, format: str = "csv") -> int:
    """Write the report (as :func:`render_report` returns it) to ``out`` item by item,
    reading the ledger in chunks: a million-item batch is never held in memory.
    Returns how many rows were written.

    Raises:
        InvalidRequestError: unknown batch (nothing written).
        ValueError: unknown format (nothing written).
        OSError: writing to ``out`` failed.
    """
    if format not in ("csv", "json"):
        raise ValueError(f"unknown report format {format!r}: csv or json")
    ledger.batch_info(batch_id)
    rows = (_row(item) for item in ledger.iter_items(batch_id))
    return _write_json(rows, out) if format == "json" else _write_csv(rows, out)


def _write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    # Byte for byte what json.dumps(list, ensure_ascii=False, indent=1) gives: each row
    # indented one more space, rows joined by ",\n", inside "[\n" and "\n]".
    count = 0
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=1).replace("\n", "\n ")
        out.write(("[\n " if count == 0 else ",\n ") + text)
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


def _write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        # A cell starting with = + - @ would run as a formula when the report is opened
        # in a spreadsheet (the error text partly comes from the server).
        writer.writerow(
            {
                k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                for k, v in row.items()
            }
        )
        count += 1
    return count
