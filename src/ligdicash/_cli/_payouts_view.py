"""What ``ligdicash payouts`` shows: the progress bar, the summary table, the status."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from .._i18n import format_rate, message
from ._common import amount_text, language, say

if TYPE_CHECKING:
    from rich.console import Console

    from ..payouts import BatchInfo, LedgerItem, Progress

ORDER = ("pending", "sending", "sent", "in_doubt", "completed", "failed", "cancelled")
FINAL = ("completed", "failed", "cancelled")


def summary_table(info: BatchInfo) -> Any:
    """A rich table: one row per status with its count and amount, then the total."""
    from rich.table import Table

    title = say("cli.table_batch", id=info.id)
    if info.paused_reason:
        title += say("cli.table_paused", reason=info.paused_reason)
    table = Table(title=title, title_justify="left")
    table.add_column(say("cli.table_status"))
    table.add_column(say("cli.table_items"), justify="right")
    table.add_column(say("cli.table_amount"), justify="right")
    for status in ORDER:
        if info.counts.get(status):
            table.add_row(status, str(info.counts[status]), amount_text(info.amounts[status]))
    table.add_row(
        say("cli.table_total"), str(info.item_count), amount_text(info.total), style="bold"
    )
    return table


# How LigdiCash refuses a transaction_id it already has: Code04 on merchant payouts (its
# table names it NoPendingOrProcessedPayout24H), Code07 TransactionAlreadyExist on client
# payouts; the server's text says "already exists".
_ALREADY_EXISTS = re.compile(
    r"NoPendingOrProcessedPayout24H|TransactionAlreadyExist|already exists", re.IGNORECASE
)


def already_exists(doubts: Sequence[LedgerItem]) -> list[str]:
    """The ids of the in-doubt items LigdiCash refused as an existing transaction_id."""
    return [it.id for it in doubts if _ALREADY_EXISTS.search(it.error or "")]


def advice(info: BatchInfo, doubts: Sequence[LedgerItem] = ()) -> list[str]:
    """What the operator should do next, one sentence per line (``doubts``: the in-doubt
    items, to explain a refusal of their transaction_id as already used)."""
    lines = []
    if info.counts.get("in_doubt"):
        lines.append(say("cli.advice_in_doubt", count=info.counts["in_doubt"]))
        repeated = already_exists(doubts)
        if repeated:
            shown = ", ".join(repeated[:3]) + (" ..." if len(repeated) > 3 else "")
            lines.append(say("cli.already_exists", count=len(repeated), items=shown))
    if info.counts.get("sent"):
        lines.append(say("cli.advice_sent", count=info.counts["sent"]))
    if info.paused_reason:
        lines.append(say("cli.advice_paused"))
    return lines


class ProgressView:
    """A rich progress bar fed by :class:`BatchRunner`'s ``on_progress``; when the output
    is not a terminal (a log file, a pipe, CI), plain lines instead: a bar redrawn in a
    file is noise, and rich cuts it to the default width (``100/1…``). A plain line is
    printed at most every :attr:`PLAIN_EVERY` seconds, and once at the end."""

    PLAIN_EVERY = 10.0

    def __init__(self, console: Console, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._console = console
        self._total = total
        self._plain = not console.is_terminal
        self._plain_at = 0.0
        self._plain_last = ""
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=self._plain,
        )
        self._task = self._progress.add_task("payouts", total=total, detail="")
        self._last: Optional[Progress] = None
        # on_progress may be called from the runner's threads, where click's context (and so
        # --lang) is not visible: the language is fixed here, in the command's thread.
        self._language = language()

    def __enter__(self) -> ProgressView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
        if self._plain and self._plain_last:
            self._console.print(self._plain_last, markup=False, highlight=False)

    def update(self, progress: Progress) -> None:
        info = progress.info
        done = info.count(*FINAL) + info.count("in_doubt")
        detail = message(
            self._language,
            "cli.progress_detail",
            sent=info.count("sent", *FINAL),
            settled=info.count(*FINAL),
            failed=info.count("failed"),
            in_doubt=info.count("in_doubt"),
            rate=format_rate(progress.sent_per_second, self._language),
        )
        description = message(
            self._language,
            "cli.progress_settling" if progress.settling else "cli.progress_paying",
        )
        if self._plain:
            self._plain_line(f"{description} {done}/{self._total}  {detail}")
            return
        self._progress.update(self._task, completed=done, detail=detail, description=description)

    def _plain_line(self, line: str) -> None:
        import time

        # One line, no trailing or doubled spaces (the no-break spaces inside French
        # numbers stay).
        line = re.sub("[ \t\r\n]+", " ", line).strip(" ")
        self._plain_last = line
        now = time.monotonic()
        if now - self._plain_at >= self.PLAIN_EVERY:
            self._plain_at = now
            self._plain_last = ""  # printed: the end need not repeat it
            self._console.print(line, markup=False, highlight=False)
