"""Bulk payouts with an exactly-once ledger.

Load a batch (CSV, JSON or objects), record it in a ledger (SQLite file or PostgreSQL),
and run it with concurrent senders, each keeping several payouts in flight. Every item
moves ``pending → sending → sent → completed / failed`` (or ``cancelled``); ``sending`` is
committed before the request leaves, and an item whose request may have reached LigdiCash
without an answer becomes ``in_doubt``: it is never re-sent automatically. See ``docs/payouts.md``.

Example::

    from ligdicash import Client
    from ligdicash.payouts import BatchRunner, account_ledger_url, load_batch, open_ledger

    batch = load_batch("payouts.csv")
    with Client() as client:
        ledger = open_ledger(account_ledger_url(client))  # refuses a reference paid before
        ledger.add_batch(batch)
        result = BatchRunner(ledger, client, batch.id, workers=8).run()
    print(result.info.counts)
"""

from __future__ import annotations

from ._batch import Batch, BatchValidationError, PayoutItem, RowProblem, load_batch
from ._ledger import Ledger, WorkerIdentity
from ._open import account_ledger_url, data_directory, default_ledger_url, open_ledger
from ._records import BatchInfo, CallbackEvidence, LedgerItem, Progress, RunResult, item_id
from ._report import REPORT_COLUMNS, render_report, report_rows, write_report
from ._reuse import EarlierPayment, ReferenceReusedError
from ._runner import BatchRunner
from ._settle import CallbackOutcome, aapply_callback, apoll_sent, apply_callback, poll_sent
from ._states import FINAL_STATUSES, STATUSES, Fate, LedgerStateError, classify_error

__all__ = [
    "FINAL_STATUSES",
    "REPORT_COLUMNS",
    "STATUSES",
    "Batch",
    "BatchInfo",
    "BatchRunner",
    "BatchValidationError",
    "CallbackEvidence",
    "CallbackOutcome",
    "EarlierPayment",
    "Fate",
    "Ledger",
    "LedgerItem",
    "LedgerStateError",
    "PayoutItem",
    "Progress",
    "ReferenceReusedError",
    "RowProblem",
    "RunResult",
    "WorkerIdentity",
    "aapply_callback",
    "account_ledger_url",
    "apoll_sent",
    "apply_callback",
    "classify_error",
    "data_directory",
    "default_ledger_url",
    "item_id",
    "load_batch",
    "open_ledger",
    "poll_sent",
    "render_report",
    "report_rows",
    "write_report",
]
