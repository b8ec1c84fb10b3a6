"""``ligdicash reconcile``: poll the payments recorded in a store and settle them once.

The account comes from the module settings' environment (``LIGDICASH_API_KEY``,
``LIGDICASH_AUTH_TOKEN``, ``LIGDICASH_PLATFORM``, ``LIGDICASH_BASE_URL``); the store from
``--store`` or ``LIGDICASH_STORE_URL``. See ``docs/reconciliation.md``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import click

    from .._reconcile_round import ReconcileSummary


def _line(summary: ReconcileSummary, as_json: bool, language: str) -> str:
    """One round: a JSON object with English keys (for machines), else a line in
    ``language`` (for people)."""
    from .._i18n import message

    counts = summary.to_dict()
    if as_json:
        return json.dumps(counts, sort_keys=True)
    return message(language, "reconcile.round", **counts)


def register(cli: click.Group) -> None:
    """Add the ``reconcile`` command to the click group ``cli``."""
    import click

    from ._base import CONTEXT_SETTINGS, version_option
    from ._common import exit_code_for, fail, lang_option, language, one_line_errors

    def schedule(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Any:
        if value is None:
            return None
        from .._reconcile_round import parse_schedule

        try:
            return parse_schedule(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    @cli.command(
        help=(
            "Poll the payments recorded in a store (clients created with store=) and settle "
            "each once: with --handler, run it for every completed payment through the "
            "callbacks' exactly-once claim. The account comes from LIGDICASH_API_KEY, "
            "LIGDICASH_AUTH_TOKEN (and LIGDICASH_BASE_URL for a sandbox)."
        ),
        context_settings=CONTEXT_SETTINGS,
    )
    @click.option(
        "--store",
        "store_url",
        envvar="LIGDICASH_STORE_URL",
        required=True,
        help="Store URL (sqlite:///..., postgresql://..., redis://...); LIGDICASH_STORE_URL.",
    )
    @click.option("--handler", help="module:function run once per completed payment.")
    @click.option("--on-cancelled", help="module:function run once per cancelled payment.")
    @click.option("--once", is_flag=True, help="Run one round and exit.")
    @click.option("--json", "as_json", is_flag=True, help="Print each round as a JSON line.")
    @click.option(
        "--interval",
        default=30.0,
        show_default=True,
        type=click.FloatRange(min=0),
        help="Seconds between rounds (without --once).",
    )
    @click.option(
        "--schedule",
        callback=schedule,
        help="Seconds between polls of one payment, e.g. 60,300,1800,7200,21600.",
    )
    @click.option(
        "--expire-after",
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds after which a payment still pending is marked expired (86400).",
    )
    @click.option(
        "--batch-size",
        default=100,
        show_default=True,
        type=click.IntRange(min=1),
        help="Payments leased per round.",
    )
    @click.option(
        "--concurrency",
        default=10,
        show_default=True,
        type=click.IntRange(min=1),
        help="Status calls (and handler runs) at a time.",
    )
    @click.option(
        "--lease",
        type=click.FloatRange(min=0, min_open=True),
        help=(
            "Seconds a round holds the payments it polls (300): after a crash, they wait this "
            "long for another poller; a lease that lapses mid-round only costs a second poll."
        ),
    )
    @lang_option
    @version_option()
    def reconcile(
        store_url: str,
        handler: Optional[str],
        on_cancelled: Optional[str],
        once: bool,
        as_json: bool,
        interval: float,
        schedule: Optional[tuple[float, ...]],
        expire_after: Optional[float],
        batch_size: int,
        concurrency: int,
        lease: Optional[float],
    ) -> None:
        from .._exceptions import LigdicashError
        from .._reconcile import import_handler, reconciler_for
        from .._stores._open import check_store_url

        lang = language()  # rounds may be reported from another thread than click's
        # As uvicorn does for its app: --handler names a module of the current directory.
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        options: dict[str, Any] = {"batch_size": batch_size, "concurrency": concurrency}
        if schedule is not None:
            options["schedule"] = schedule
        if expire_after is not None:
            options["expire_after"] = expire_after
        if lease is not None:
            options["lease_seconds"] = lease
        with one_line_errors():  # a bad URL, a missing driver, a database that is down
            check_store_url(store_url)
            reconciler = reconciler_for(
                store_url,
                handler=import_handler(handler) if handler else None,
                on_cancelled=import_handler(on_cancelled) if on_cancelled else None,
                **options,
            )
        try:
            if once:
                try:
                    summary = reconciler.run_once()
                except LigdicashError as exc:
                    fail(str(exc), exit_code_for(exc), error=exc)
                print(_line(summary, as_json, lang))
                return
            # Failed rounds (store or API away) are logged and retried; say so on stderr.
            logging.basicConfig(stream=sys.stderr, format="ligdicash: %(message)s")
            with contextlib.suppress(KeyboardInterrupt):
                reconciler.run_forever(
                    interval,
                    on_round=lambda summary: print(_line(summary, as_json, lang), flush=True),
                )
        finally:
            reconciler.close()
