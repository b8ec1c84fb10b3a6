"""``ligdicash payouts``: run a batch file, join a batch, see it, report it, resolve doubts."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from ._common import (
    EXIT_FAILURE,
    EXIT_IN_DOUBT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    amount_text,
    confirm,
    credential_options,
    fail,
    lang_option,
    make_client,
    one_line_errors,
    say,
)

if TYPE_CHECKING:
    import click

    from .._client import Client
    from ..payouts import BatchInfo, Ledger, RunResult

STORE_ENV = "LIGDICASH_PAYOUTS_STORE"
#: How many in_doubt payouts ``payouts status`` lists (the report has them all).
SHOWN_DOUBTS = 50
STORE_HELP = (
    "Ledger URL: sqlite:///FILE or postgresql://... (env LIGDICASH_PAYOUTS_STORE; default: "
    "the account's ledger, one per API key in the user's data directory)"
)


def _closed_with_command(ledger: Ledger) -> Ledger:
    """``ledger``, closed when the command ends, whichever way (a PostgreSQL ledger's pool
    has threads of its own: left to the garbage collector at exit, they complain)."""
    import click

    click.get_current_context().call_on_close(ledger.close)
    return ledger


def _ledger_of_file(file: str, account: Any, *, writing: bool) -> Ledger:
    """The default ledger for a batch FILE: the account's (``account``: an API key or a
    client). A ledger that ligdicash before schema 2 kept beside the file holds batches the
    account's does not know: reading commands use it, writing ones refuse to go on without
    an explicit ``--store`` (the account's ledger would take the file for a new batch)."""
    from ..payouts import account_ledger_url, default_ledger_url, open_ledger

    legacy = default_ledger_url(file)
    legacy_path = legacy[len("sqlite:///") :]
    if os.path.isfile(legacy_path):
        if not writing:
            return _closed_with_command(open_ledger(legacy))
        fail(
            say("cli.legacy_ledger", file=file, ledger=legacy_path, url=legacy),
            EXIT_USAGE,
        )
    return _closed_with_command(open_ledger(account_ledger_url(account)))


def _check_earlier_ledgers(file: str, batch: Any, allowed: Sequence[str]) -> None:
    """Refuse a batch whose references a ledger of ligdicash 1.x in the file's folder
    (``*.ledger.db``, one per batch file) holds: batches paid before the account's ledger
    existed are only there, and an edited copy is usually saved beside the original."""
    import glob

    from ..payouts import ReferenceReusedError, open_ledger

    folder = os.path.dirname(os.path.abspath(file))
    references = [it.reference for it in batch.items if it.reference not in set(allowed)]
    for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.ledger.db"))):
        ledger = open_ledger("sqlite:///" + path)
        try:
            found = [e for e in ledger.payments_of(references) if e.batch_id != batch.id]
        finally:
            ledger.close()
        if found:
            raise ReferenceReusedError.about(
                found[:5], count=len(found), ledger=f"{path} (the ledger of an earlier ligdicash)"
            )


def _env_api_key() -> str:
    from .._config import SETTINGS

    for setting in SETTINGS:
        if setting.name == "api_key" and setting.env:
            return os.environ.get(setting.env, "")
    return ""


def _open(
    batch: str, store: Optional[str], account: Any = None, *, writing: bool = False
) -> tuple[Ledger, str]:
    """The ledger and batch id for BATCH, which is a batch file or a batch id (then
    ``latest`` is the newest batch); the default ledger is ``account``'s (an API key or a
    client; the environment's API key if None)."""
    from ..payouts import open_ledger
    from ..payouts._batch import batch_id_of

    if os.path.isfile(batch):
        # A batch run with --skip-invalid has the id of its valid rows; without it the
        # file had no bad rows: reading with skip_invalid gives the id either way (and
        # keeps no row in memory). Rows that repeat a recipient are in the batch if it was
        # run with --allow-repeat-recipient, left out if with --skip-invalid: the id the
        # ledger knows is the batch's.
        batch_id = batch_id_of(batch, skip_invalid=True)
        if store:
            ledger = _closed_with_command(open_ledger(store))
        else:
            account = _env_api_key() if account is None else account
            ledger = _ledger_of_file(batch, account, writing=writing)
        if batch_id not in ledger.batch_ids():
            strict = batch_id_of(batch, skip_invalid=True, allow_repeat_recipient=False)
            if strict in ledger.batch_ids():
                batch_id = strict
        return ledger, batch_id
    if store:
        ledger = _closed_with_command(open_ledger(store))
    else:
        from ..payouts import account_ledger_url

        account = _env_api_key() if account is None else account
        if not account:
            # 'latest' and batch ids name a batch of a ledger: say how to name the ledger.
            if batch == "latest" or re.fullmatch("b[0-9a-f]{16}", batch):
                fail(say("cli.which_ledger", batch=repr(batch)), EXIT_USAGE)
            fail(say("cli.not_a_file", batch=repr(batch)), EXIT_USAGE)
        ledger = _closed_with_command(open_ledger(account_ledger_url(account)))
    if batch == "latest":
        ids = ledger.batch_ids()
        if not ids:
            fail(say("cli.no_batch"), EXIT_USAGE)
        return ledger, ids[0]
    return ledger, batch


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return say("cli.duration_days", n=f"{seconds / 86400:g}")
    if seconds >= 3600:
        return say("cli.duration_hours", n=int(seconds // 3600))
    return say("cli.duration_minutes", n=max(1, int(seconds // 60)))


def _warn_recent(ledger: Ledger, batch: Any, within: float) -> None:
    """Before the confirmation: the rows that pay a recipient an amount that a payout of
    the last ``within`` seconds already paid them (not a refusal: it may be meant)."""
    import time

    recent = ledger.recent_payments(batch, within=within)
    if not recent:
        return
    lines = [say("cli.recent", count=len(recent), window=_duration(within))]
    now = time.time()
    for item, earlier in recent[:10]:
        lines.append(
            say(
                "cli.recent_line",
                line=item.line,
                phone=item.phone,
                amount=amount_text(item.amount),
                reference=repr(earlier.reference),
                where=earlier.where,
                ago=_duration(max(0.0, now - earlier.updated_at)),
            )
        )
    if len(recent) > 10:
        lines.append(say("cli.recent_more", count=len(recent) - 10))
    print("ligdicash: " + "\n".join(lines), file=sys.stderr)


def _run_exit_code(result: RunResult, skipped: int = 0) -> int:
    """The documented exit code of a run (docs/payouts.md): what needs a person first."""
    if result.stopped == "interrupted":
        return EXIT_INTERRUPTED
    if result.stopped == "paused":
        return EXIT_REFUSED
    if result.info.count("in_doubt"):
        return EXIT_IN_DOUBT
    if result.stopped or result.info.count("sent", "sending", "pending"):
        return EXIT_FAILURE
    if result.info.count("failed") or skipped:
        return EXIT_SOME_FAILED
    return EXIT_OK


def _work(
    ledger: Ledger,
    batch_id: str,
    client: Client,
    options: dict[str, Any],
    *,
    unpause: bool,
    as_json: bool,
    skipped: int = 0,
) -> None:
    from rich.console import Console

    from ..payouts import BatchRunner
    from ._payouts_view import ProgressView, advice

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    info = ledger.batch_info(batch_id)
    with ProgressView(console, info.item_count) as view:
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
    code = _run_exit_code(result, skipped)
    extra = {"stopped": result.stopped, "skipped": skipped, "exit_code": code}
    _print_result(console, result.info, as_json, extra=extra)
    if result.recovered:
        console.print(say("cli.recovered", count=result.recovered))
    if result.detail:
        console.print(say("cli.stopped", detail=result.detail))
    doubts: list[Any] = []
    if result.info.count("in_doubt"):
        from .._exceptions import LigdicashError

        try:  # only to explain them: a ledger gone away must not hide the run's exit code
            doubts = ledger.items(batch_id, statuses=["in_doubt"])
        except LigdicashError:
            doubts = []
    for line in advice(result.info, doubts):
        console.print(line, markup=False)
    raise SystemExit(code)


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
    @click.option(
        "--allow-repeat",
        "allow_repeat",
        multiple=True,
        metavar="REF",
        help="REF is a new payment although an earlier batch of the account used this "
        "reference (repeat the option for each one).",
    )
    @click.option(
        "--allow-repeat-recipient",
        is_flag=True,
        help="Pay a number that several rows hold (each row once); without it such rows "
        "are refused, with their lines (numbers compared once normalised).",
    )
    @click.option(
        "--recent-days",
        default=7.0,
        show_default=True,
        type=click.FloatRange(min=0),
        help="Warn before confirming when a row pays a recipient the same amount as a payout "
        "of the last N days (0: never).",
    )
    @_runner_options
    def run(file: str, **options: Any) -> None:
        from ..payouts import load_batch, open_ledger

        with one_line_errors():
            batch = load_batch(
                file,
                skip_invalid=options.pop("skip_invalid"),
                default_type=options.pop("default_type"),
                allow_repeat_recipient=options.pop("allow_repeat_recipient"),
            )
            skipped = len(batch.skipped)
            for problem in batch.skipped:
                print(f"ligdicash: {say('cli.skipped', problem=problem)}", file=sys.stderr)
            client = make_client(options)
            store = options.pop("store")
            allow_repeat = options.pop("allow_repeat")
            if store:
                ledger = _closed_with_command(open_ledger(store))
            else:
                ledger = _ledger_of_file(file, client, writing=True)
            existing = batch.id in ledger.batch_ids()
            if not store and not existing:
                _check_earlier_ledgers(file, batch, allow_repeat)
            if not existing:
                existing = not ledger.add_batch(batch, new_payments=allow_repeat)
            batch_id, count, total = batch.id, len(batch), batch.total
            info = ledger.batch_info(batch_id)
            to_send = info.count("pending")
            amount = info.amounts.get("pending", 0)
            line = say(
                "cli.batch_line",
                id=batch_id,
                count=count,
                total=amount_text(total),
                to_send=to_send,
                amount=amount_text(amount),
            )
            print(line + (say("cli.resuming") if existing else ""), file=sys.stderr)
            recent_days = options.pop("recent_days")
            if to_send:
                _warn_recent(ledger, batch, recent_days * 86400)
            del batch  # the ledger has the items now: do not hold them for the whole run
            if to_send and not options.pop("yes"):
                try:
                    question = say("cli.confirm_batch", count=to_send, amount=amount_text(amount))
                    confirm(question)
                except click.Abort:
                    fail(say("cli.not_confirmed"), EXIT_REFUSED)
            options.pop("yes", None)
            with client:
                _work(
                    ledger,
                    batch_id,
                    client,
                    options,
                    unpause=True,
                    as_json=options.pop("as_json"),
                    skipped=skipped,
                )

    @payouts.command(help="Join BATCH (id or file) from another process or machine.")
    @click.argument("batch")
    @click.option("--store", envvar=STORE_ENV, help=STORE_HELP)
    @_runner_options
    def work(batch: str, **options: Any) -> None:
        with one_line_errors():
            client = make_client(options)
            with client:
                ledger, batch_id = _open(batch, options.pop("store"), client, writing=True)
                _work(
                    ledger,
                    batch_id,
                    client,
                    options,
                    unpause=False,
                    as_json=options.pop("as_json"),
                )

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
            for line in advice(info, doubts):
                console.print(line, markup=False)
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
        help="The batch file (with an API key, the account's ledger; or the ledger an earlier "
        "ligdicash kept beside it).",
    )
    @lang_option
    def resolve(
        item: str,
        token: Optional[str],
        not_sent: bool,
        store: Optional[str],
        batch_file: Optional[str],
    ) -> None:
        from ..payouts import account_ledger_url, open_ledger

        if bool(token) == not_sent:
            fail(say("cli.resolve_one_of"), EXIT_USAGE)
        if not store and not batch_file and not _env_api_key():
            fail(say("cli.resolve_where"), EXIT_USAGE)
        with one_line_errors():
            if store:
                ledger = _closed_with_command(open_ledger(store))
            elif batch_file:
                ledger = _ledger_of_file(batch_file, _env_api_key(), writing=False)
            else:
                ledger = _closed_with_command(open_ledger(account_ledger_url(_env_api_key())))
            ledger.resolve(item, sent_token=token or "", not_sent=not_sent)
            after = ledger.get(item)
        print(f"{item}: {after.status if after else '?'}")
