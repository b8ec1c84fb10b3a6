"""``python manage.py ligdicash_reconcile``: poll the recorded payments and settle each once.

It runs each final status through :func:`ligdicash.contrib.django.get_processor`, the very
processor (lookup, handler, signals, client and claim store) the callback view uses, so a
callback and a poll never both deliver an order. The payment registry is ``--store``, else
the ``LIGDICASH_STORE_URL`` setting, else the environment variable, else ``django://``
(the ORM store, in the project's own database). See ``docs/reconciliation.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from django.conf import settings  # type: ignore[import-untyped,unused-ignore]
from django.core.management.base import (  # type: ignore[import-untyped,unused-ignore]
    BaseCommand,
    CommandError,
    CommandParser,
)

from ligdicash._exceptions import (
    ConfigurationError,
    InvalidRequestError,
    LigdicashError,
    RequestRefusedError,
)
from ligdicash._reconcile import Reconciler
from ligdicash._reconcile_round import ReconcileSummary, parse_schedule
from ligdicash._stores import STORE_URL_ENV
from ligdicash._stores._open import check_store_url
from ligdicash.contrib.django import get_processor


def _command_error(exc: Exception) -> CommandError:
    """One line and the ``ligdicash`` command's exit status: 2 for what the user must fix (a
    bad store URL, a missing extra, no credentials), 3 for a store or network that is down,
    1 for a refusal."""
    if isinstance(exc, (ConfigurationError, InvalidRequestError, ImportError)):
        status = 2
    elif isinstance(exc, RequestRefusedError):
        status = 1
    else:
        status = 3
    message = exc.message if isinstance(exc, LigdicashError) else str(exc)
    return CommandError(message, returncode=status)


def _store_url(option: Any) -> str:
    if option:
        return str(option)
    configured = getattr(settings, "LIGDICASH_STORE_URL", None)
    return str(configured or os.environ.get(STORE_URL_ENV) or "django://")


class Command(BaseCommand):  # type: ignore[misc,unused-ignore]
    help = (
        "Poll the LigdiCash payments recorded in the store and settle each final one once, "
        "through the callback processor (LIGDICASH_CALLBACK_HANDLER and the signals)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", help="Registry store URL (default: django://).")
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")
        parser.add_argument("--json", action="store_true", help="Print rounds as JSON lines.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between rounds.")
        parser.add_argument(
            "--schedule", help="Seconds between polls of one payment, e.g. 60,300,1800."
        )
        parser.add_argument(
            "--batch-size", type=int, default=100, help="Payments leased per round."
        )
        parser.add_argument(
            "--concurrency", type=int, default=10, help="Status calls (and handlers) at a time."
        )
        parser.add_argument(
            "--lease",
            type=float,
            help="Seconds a round holds its payments (300); after a crash they wait this long.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import close_old_connections  # type: ignore[import-untyped,unused-ignore]

        from ligdicash._client import Client
        from ligdicash._facade import default_client

        extra: dict[str, Any] = {}
        if options["lease"] is not None:
            extra["lease_seconds"] = options["lease"]
        if options["schedule"]:
            try:
                extra["schedule"] = parse_schedule(options["schedule"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        try:
            store_url = _store_url(options["store"])
            check_store_url(store_url)  # a database that is down: one line within 2 s
            processor = get_processor()
            client = processor.client if isinstance(processor.client, Client) else None
            reconciler = Reconciler(
                store_url,
                client=client if client is not None else default_client(),
                processor=processor,
                batch_size=options["batch_size"],
                concurrency=options["concurrency"],
                # The round's worker threads give their connections back (Django's pool
                # ran dry without it: 74 payments lost in the crash soak).
                thread_cleanup=close_old_connections,
                **extra,
            )
        except (LigdicashError, ImportError) as exc:
            raise _command_error(exc) from None

        def show(summary: ReconcileSummary) -> None:
            counts = summary.to_dict()
            if options["json"]:
                self.stdout.write(json.dumps(counts, sort_keys=True))
            else:
                self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))

        try:
            if options["once"]:
                try:
                    show(reconciler.run_once())
                except LigdicashError as exc:
                    raise _command_error(exc) from None
                return
            with contextlib.suppress(KeyboardInterrupt):
                reconciler.run_forever(options["interval"], on_round=show)
        finally:
            reconciler.close()
