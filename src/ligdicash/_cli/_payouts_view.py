"""What ``ligdicash payouts`` shows: the progress bar, the summary table, the status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from rich.console import Console

    from ..payouts import BatchInfo, Progress

ORDER = ("pending", "sending", "sent", "in_doubt", "completed", "failed", "cancelled")
FINAL = ("completed", "failed", "cancelled")


def summary_table(info: BatchInfo) -> Any:
    """A rich table: one row per status with its count and amount, then the total."""
    from rich.table import Table

    title = f"batch {info.id}" + (f"  (paused: {info.paused_reason})" if info.paused_reason else "")
    table = Table(title=title, title_justify="left")
    table.add_column("status")
    table.add_column("items", justify="right")
    table.add_column("amount (XOF)", justify="right")
    for status in ORDER:
        if info.counts.get(status):
            table.add_row(status, str(info.counts[status]), f"{info.amounts[status]:,}")
    table.add_row("total", str(info.item_count), f"{info.total:,}", style="bold")
    return table


def advice(info: BatchInfo) -> list[str]:
    """What the operator should do next, one sentence per line."""
    lines = []
    if info.counts.get("in_doubt"):
        lines.append(
            f"{info.counts['in_doubt']} payout(s) are in_doubt: their request may have reached "
            "LigdiCash. They will NOT be re-sent. Find each one in your LigdiCash dashboard, "
            "then run `ligdicash payouts resolve ITEM --sent TOKEN` or `--not-sent` "
            "(`ligdicash payouts report` lists them)."
        )
    if info.counts.get("sent"):
        lines.append(
            f"{info.counts['sent']} payout(s) are sent but not settled yet; run the same "
            "command again later to settle them."
        )
    if info.paused_reason:
        lines.append("Fix the cause, then run the same command again to resume.")
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

    def __enter__(self) -> ProgressView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, progress: Progress) -> None:
        info = progress.info
        done = info.count(*FINAL) + info.count("in_doubt")
        detail = (
            f"sent {info.count('sent', *FINAL)}  settled {info.count(*FINAL)}  "
            f"failed {info.count('failed')}  in doubt {info.count('in_doubt')}  "
            f"{progress.sent_per_second:.1f}/s"
        )
        self._progress.update(
            self._task,
            completed=done,
            detail=detail,
            description="settling" if progress.settling else "paying",
        )
