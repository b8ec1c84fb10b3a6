"""The batch report: one row per item (CSV or JSON), for people and for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ._ledger import Ledger
from ._records import LedgerItem

__all__ = ["REPORT_COLUMNS", "render_report", "report_rows"]

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
    return [_row(item) for item in ledger.items(batch_id)]


def render_report(ledger: Ledger, batch_id: str, format: str = "csv") -> str:
    """The report as CSV (``,`` separated, header first) or as a JSON list.

    Raises:
        InvalidRequestError: unknown batch.
        ValueError: unknown format.
    """
    ledger.batch_info(batch_id)
    rows = report_rows(ledger, batch_id)
    if format == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    if format != "csv":
        raise ValueError(f"unknown report format {format!r}: csv or json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ would run as a formula when the report is opened
        # in a spreadsheet (the error text partly comes from the server).
        writer.writerow(
            {
                k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()
