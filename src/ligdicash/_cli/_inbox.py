"""``ligdicash inbox counts`` and ``ligdicash inbox purge``: the callback inbox of a store.

The sweeps of a running app purge finished entries after the processor's
``inbox_retention`` (7 days) by themselves; ``purge`` is for a store no app sweeps, a
shorter retention, or a cron job. See docs/callbacks.md.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import click

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"15m"``, ``"12h"`` or ``"7d"``.

    Raises:
        ValueError: any other form.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write e.g. 3600, 90m, 12h or 7d")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def register(cli: click.Group) -> None:
    """Add the ``inbox`` group to the click group ``cli``."""
    import click

    from ._base import CONTEXT_SETTINGS, version_option
    from ._common import lang_option, one_line_errors

    def duration(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Any:
        try:
            return None if value is None else parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    store_option = click.option(
        "--store",
        "store_url",
        envvar="LIGDICASH_STORE_URL",
        required=True,
        help="Store URL (sqlite:///..., postgresql://..., redis://...); LIGDICASH_STORE_URL.",
    )

    @cli.group(
        help="The callback inbox of a store: counts, and the purge of finished entries.",
        context_settings=CONTEXT_SETTINGS,
    )
    @version_option()
    def inbox() -> None:
        pass

    @inbox.command(help="How many inbox entries are pending, processing and done.")
    @store_option
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
    @lang_option
    def counts(store_url: str, as_json: bool) -> None:
        from .._stores._open import check_store_url, open_store

        with one_line_errors():
            check_store_url(store_url)  # a database that is down: one line within 2 s
            store: Any = open_store(store_url)
            try:
                found = store.inbox_counts()
            finally:
                store.close()
        if as_json:
            print(json.dumps(found, sort_keys=True))
        else:
            print(" ".join(f"{state}={n}" for state, n in found.items()))

    @inbox.command(
        help="Delete the entries finished more than --older-than ago (unfinished entries "
        "stay; exactly-once does not depend on finished ones)."
    )
    @store_option
    @click.option(
        "--older-than",
        default="7d",
        show_default=True,
        callback=duration,
        help="Age of the finished entries to delete: seconds, or 90m, 12h, 7d.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
    @lang_option
    def purge(store_url: str, older_than: float, as_json: bool) -> None:
        from .._stores._open import check_store_url, open_store

        purged = 0
        with one_line_errors():
            check_store_url(store_url)  # a database that is down: one line within 2 s
            store: Any = open_store(store_url)
            try:
                while True:  # in slices, so that no statement holds the store for long
                    step = int(store.inbox_purge(older_than=older_than, limit=10_000))
                    purged += step
                    if step < 10_000:
                        break
            finally:
                store.close()
        if as_json:
            print(json.dumps({"purged": purged, "older_than": older_than}))
        else:
            print(f"purged={purged}")
