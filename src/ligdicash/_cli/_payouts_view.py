"""What ``ligdicash payouts`` shows: the progress bar, the summary table, the status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .._i18n import format_rate, message
from ._common import amount_text, language, say

if TYPE_CHECKING:
    from rich.console import Console

    from ..payouts import BatchInfo, Progress

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


def advice(info: BatchInfo) -> list[str]:
    """What the operator should do next, one sentence per line."""
    lines = []
    if info.counts.get("in_doubt"):
        lines.append(say("cli.advice_in_doubt", count=info.counts["in_doubt"]))
    if info.counts.get("sent"):
        lines.append(say("cli.advice_sent", count=info.counts["sent"]))
    if info.paused_reason:
        lines.append(say("cli.advice_paused"))
    return lines


class ProgressView:
    """A rich progress bar fed by :class:`BatchRunner`'s ``on_progress``."""

    def __init__(self, console: Console, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
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
        self._progress.update(
            self._task,
            completed=done,
            detail=detail,
            description=message(
                self._language,
                "cli.progress_settling" if progress.settling else "cli.progress_paying",
            ),
        )
