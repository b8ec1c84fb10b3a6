"""``python manage.py ligdicash_inbox_purge``: delete the callback inbox's finished entries.

The entries are those of :func:`ligdicash.contrib.django.get_processor`'s store (the one
the callback view keeps callbacks in); the running app's sweeps already purge them after
the processor's ``inbox_retention`` (7 days): this is for a cron job, or a shorter
retention. Unfinished entries are never purged. See ``docs/callbacks.md``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import (  # type: ignore[import-untyped,unused-ignore]
    BaseCommand,
    CommandError,
    CommandParser,
)

from ligdicash._cli._inbox import parse_duration
from ligdicash.contrib.django import get_processor


class Command(BaseCommand):  # type: ignore[misc,unused-ignore]
    help = (
        "Delete the callback inbox entries finished more than --older-than ago (default 7d); "
        "unfinished entries stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", default="7d", help="Seconds, or 90m, 12h, 7d (default 7d)."
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            older_than = parse_duration(str(options["older_than"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        processor = get_processor()
        if processor.inbox is None:
            raise CommandError("the callback store has no inbox")
        purged = 0
        while True:  # purge_inbox deletes up to 10,000 at a time
            step = processor.purge_inbox(older_than)
            purged += step
            if step < 10_000:
                break
        if options["json"]:
            self.stdout.write(json.dumps({"purged": purged, "older_than": older_than}))
        else:
            self.stdout.write(f"purged={purged}")
