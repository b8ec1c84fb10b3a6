"""``ligdicash payouts``: run a batch file, join a batch, see it, report it, resolve doubts."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, Optional

from ._common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    credential_options,
    fail,
    lang_option,
    make_client,
    one_line_errors,
    say,
)

if TYPE_CHECKING:
    import click

    from ..payouts import BatchInfo, Ledger, RunResult

STORE_ENV = "LIGDICASH_PAYOUTS_STORE"
#: How many in_doubt payouts ``payouts status`` lists (the report has them all).
SHOWN_DOUBTS = 50
STORE_HELP = (
    "Ledger URL: sqlite:///FILE or postgresql://... (env LIGDICASH_PAYOUTS_STORE; default: "
    "a SQLite file beside the batch file)"
)


def _closed_with_command(ledger: Ledger) -> Ledger:
    """``ledger``, closed when the command ends, whichever way (a PostgreSQL ledger's pool
    has threads of its own: left to the garbage collector at exit, they complain)."""
    import click

    click.get_current_context().call_on_close(ledger.close)
    return ledger


def _open(batch: str, store: Optional[str]) -> tuple[Ledger, str]:
    """The ledger and batch id for BATCH, which is a batch file or a batch id."""
    from ..payouts import default_ledger_url, open_ledger
    from ..payouts._batch import batch_id_of

    if os.path.isfile(batch):
        # A batch run with --skip-invalid has the id of its valid rows; without it the
        # file had no bad rows: reading with skip_invalid gives the id either way (and
        # keeps no row in memory).
        batch_id = batch_id_of(batch, skip_invalid=True)
        return _closed_with_command(open_ledger(store or default_ledger_url(batch))), batch_id
    if not store:
        fail(say("cli.not_a_file", batch=repr(batch)), EXIT_USAGE)
    ledger = _closed_with_command(open_ledger(store))
    if batch == "latest":
        ids = ledger.batch_ids()
        if not ids:
            fail(say("cli.no_batch"), EXIT_USAGE)
        return ledger, ids[0]
    return ledger, batch


def _run_exit_code(result: RunResult) -> int:
    if result.stopped == "interrupted":
        return EXIT_INTERRUPTED
    if result.stopped == "paused":
        return EXIT_REFUSED
    if result.stopped or result.info.count("in_doubt", "sent", "sending", "pending"):
        return EXIT_FAILURE
    return EXIT_OK


def _work(
    ledger: Ledger, batch_id: str, options: dict[str, Any], *, unpause: bool, as_json: bool
) -> None:
    from rich.console import Console

    from ..payouts import BatchRunner
    from ._payouts_view import ProgressView, advice

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    client = make_client(options)
    info = ledger.batch_info(batch_id)
    with client, ProgressView(console, info.item_count) as view:
        runner = BatchRunner(
            ledger,
            client,
            batch_id,
            workers=options["workers"],
            in_flight=options["in_flight"],
            rate=options["rate"],
            settle_timeout=options["settle_timeout"],
            callback_url=options["callback_url"] or "",
            unpause=unpause,
            on_progress=view.update,
        )

        def on_signal(signum: int, frame: Any) -> None:
            console.print(say("cli.stopping"))
            runner.stop()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            result = runner.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    _print_result(console, result.info, as_json, extra={"stopped": result.stopped})
    if result.recovered:
        console.print(say("cli.recovered", count=result.recovered))
    if result.detail:
        console.print(say("cli.stopped", detail=result.detail))
    for line in advice(result.info):
        console.print(line)
    raise SystemExit(_run_exit_code(result))


def _print_result(console: Any, info: BatchInfo, as_json: bool, extra: dict[str, Any]) -> None:
    from ._payouts_view import summary_table

    if as_json:
        print(json.dumps({**info.as_dict(), **extra}))
    else:
        console.print(summary_table(info))


def _runner_options(func: Any) -> Any:
    import click

    for option in reversed(
        [
            click.option(
                "--workers",
                default=4,
                show_default=True,
                type=click.IntRange(1, 64),
                help="Concurrent senders in this process.",
            ),
            click.option(
                "--in-flight",
                default=8,
                show_default=True,
                type=click.IntRange(1, 64),
                help="Payouts each sender keeps in flight (workers x in-flight at once).",
            ),
            click.option(
                "--rate", type=click.FloatRange(min=0, min_open=True), help="Max sends per second."
            ),
            click.option(
                "--settle-timeout",
                default=60.0,
                show_default=True,
                type=click.FloatRange(min=0),
                help="Seconds to keep polling sent payouts once nothing is left to send.",
            ),
            click.option("--callback-url", help="Given to each payout (see docs/payouts.md)."),
            click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
        ]
    ):
        func = option(func)
    return credential_options(func)


def register(cli: click.Group) -> None:
    """Add the ``payouts`` group to the click group ``cli``."""
    import click

    @cli.group(help="Bulk payouts with an exactly-once ledger (see docs/payouts.md).")
    def payouts() -> None:
        pass

    @payouts.command(help="Validate FILE (CSV or JSON), confirm, and pay it; re-run to resume.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--skip-invalid", is_flag=True, help="Leave bad rows out instead of stopping.")
    @click.option(
        "--default-type",
        type=click.Choice(["merchant", "client"]),
        default="merchant",
        show_default=True,
        help="Payout type of the rows that do not give one.",
    )
    @click.option("--allow-overlap", is_flag=True, help="References may repeat other batches'.")
    @_runner_options
    def run(file: str, **options: Any) -> None:
        from ..payouts import default_ledger_url, load_batch, open_ledger

        with one_line_errors():
            batch = load_batch(
                file,
                skip_invalid=options.pop("skip_invalid"),
                default_type=options.pop("default_type"),
            )
            for problem in batch.skipped:
                print(f"ligdicash: {say('cli.skipped', problem=problem)}", file=sys.stderr)
            ledger = _closed_with_command(
                open_ledger(options.pop("store") or default_ledger_url(file))
            )
            existing = batch.id in ledger.batch_ids()
            if not existing:
                ledger.add_batch(batch, allow_overlap=options.pop("allow_overlap"))
            batch_id, count, total = batch.id, len(batch), batch.total
            del batch  # the ledger has the items now: do not hold them for the whole run
            info = ledger.batch_info(batch_id)
            to_send = info.count("pending")
            amount = info.amounts.get("pending", 0)
            line = say(
                "cli.batch_line",
                id=batch_id,
                count=count,
                total=f"{total:,}",
                to_send=to_send,
                amount=f"{amount:,}",
            )
            print(line + (say("cli.resuming") if existing else ""), file=sys.stderr)
            if to_send and not options.pop("yes"):
                try:
                    question = say("cli.confirm_batch", count=to_send, amount=f"{amount:,}")
                    click.confirm(question, abort=True, err=True)
                except click.Abort:
                    fail(say("cli.not_confirmed"), EXIT_REFUSED)
            options.pop("yes", None)
            options.pop("allow_overlap", None)
            _work(ledger, batch_id, options, unpause=True, as_json=options.pop("as_json"))

    @payouts.command(help="Join BATCH (id or file) from another process or machine.")
    @click.argument("batch")
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @_runner_options
    def work(batch: str, **options: Any) -> None:
        with one_line_errors():
            ledger, batch_id = _open(batch, options.pop("store"))
            _work(ledger, batch_id, options, unpause=False, as_json=options.pop("as_json"))

    @payouts.command(help="Counts and amounts per status of BATCH (id, file, or 'latest').")
    @click.argument("batch")
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
    @lang_option
    def status(batch: str, store: Optional[str], as_json: bool) -> None:
        from rich.console import Console

        from ._payouts_view import advice

        with one_line_errors():
            ledger, batch_id = _open(batch, store)
            info = ledger.batch_info(batch_id)
            doubts = ledger.items(batch_id, statuses=["in_doubt"]) if info.count("in_doubt") else []
        console = Console(highlight=False, soft_wrap=True)
        # What callbacks said about each in_doubt payout: evidence to check, never proof.
        listed = [
            {"item_id": it.id, "amount": it.amount, "error": it.error, "evidence": it.evidence}
            for it in doubts
        ]
        _print_result(console, info, as_json, extra={"in_doubt": listed} if listed else {})
        if not as_json:
            for line in advice(info):
                console.print(line)
            for it in doubts[:SHOWN_DOUBTS]:
                evidence = it.evidence or say("cli.no_evidence")
                console.print(
                    say("cli.in_doubt_item", item=it.id, amount=it.amount, evidence=evidence),
                    markup=False,
                )
            if len(doubts) > SHOWN_DOUBTS:
                console.print(say("cli.in_doubt_more", count=len(doubts) - SHOWN_DOUBTS))

    @payouts.command(help="One row per payout of BATCH: reference, status, token, error...")
    @click.argument("batch")
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "json"]),
        default="csv",
        show_default=True,
        help="Report format.",
    )
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default stdout).")
    @lang_option
    def report(batch: str, store: Optional[str], fmt: str, output: Optional[str]) -> None:
        from ..payouts import write_report

        with one_line_errors():
            ledger, batch_id = _open(batch, store)
            ledger.batch_info(batch_id)  # an unknown batch fails before the file is made
            if not output:
                # Row by row from the ledger's chunks: a million rows never sit in memory.
                write_report(ledger, batch_id, sys.stdout, fmt)
                return
            try:
                with open(output, "w", encoding="utf-8", newline="") as handle:
                    write_report(ledger, batch_id, handle, fmt)
            except OSError as exc:
                fail(say("cli.cannot_write", path=output, reason=exc.strerror or exc), EXIT_USAGE)

    @payouts.command(help="Record what you found about an in_doubt ITEM (<batch>-<reference>).")
    @click.argument("item")
    @click.option("--sent", "token", help="LigdiCash has it: its token (it will be settled).")
    @click.option("--not-sent", is_flag=True, help="LigdiCash has no such payout: send it again.")
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @click.option(
        "--file",
        "batch_file",
        type=click.Path(exists=True, dir_okay=False),
        help="The batch file (its ledger is the default store).",
    )
    @lang_option
    def resolve(
        item: str,
        token: Optional[str],
        not_sent: bool,
        store: Optional[str],
        batch_file: Optional[str],
    ) -> None:
        from ..payouts import default_ledger_url, open_ledger

        if bool(token) == not_sent:
            fail(say("cli.resolve_one_of"), EXIT_USAGE)
        if not store and not batch_file:
            fail(say("cli.resolve_where"), EXIT_USAGE)
        with one_line_errors():
            ledger = _closed_with_command(
                open_ledger(store or default_ledger_url(batch_file or ""))
            )
            ledger.resolve(item, sent_token=token or "", not_sent=not_sent)
            after = ledger.get(item)
        print(f"{item}: {after.status if after else '?'}")
