"""The ``ligdicash`` command. Each group of subcommands lives in its own module and adds
itself to the click group with ``register(cli)``:

- :mod:`._sandbox`: ``ligdicash sandbox`` (the local emulator) and ``ligdicash demo``.
- :mod:`._ops`: ``ligdicash status``, ``invoice create``, ``payout``.
- :mod:`._payouts`: ``ligdicash payouts run/work/status/report/resolve`` (bulk payouts).
- :mod:`._reconcile`: ``ligdicash reconcile`` (poll the payments recorded in a store).
- :mod:`._inbox`: ``ligdicash inbox counts/purge`` (the callback inbox's retention).

Every option holding a secret warns when given on the command line (:mod:`._secrets`).

click and rich come with the ``cli`` extra, the server with the ``sandbox`` extra; without
them the command prints the one line that installs them. ``-h``/``--help`` work on the group
and on every command (``CONTEXT_SETTINGS`` is inherited); ``--version`` and ``--lang`` on
the group (``ligdicash --lang fr payouts ...``) and, as before, on some commands.
"""

from __future__ import annotations

import sys
from typing import Any, Optional, Sequence

from ._base import (
    CONTEXT_SETTINGS,
    HINT,
    USAGE_ERROR,
    fail,
    missing,
    version_option,
)

__all__ = [
    "CONTEXT_SETTINGS",
    "HINT",
    "USAGE_ERROR",
    "build_cli",
    "fail",
    "main",
    "missing",
    "version_option",
]


def build_cli() -> Any:
    """The click group (built on demand so that importing this module needs no extra)."""
    import click

    from . import _inbox, _ops, _payouts, _reconcile, _sandbox
    from ._common import EXIT_CODES, lang_option
    from ._secrets import guard_secret_options

    # "\b" keeps click from rewrapping the table.
    codes = "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES)
    epilog = f"\b\nExit codes (every command; with --json, errors are JSON on stdout too):\n{codes}"

    @click.group(
        help="LigdiCash SDK tools: sandbox, demo, status checks, payments, bulk payouts, "
        "reconciliation.",
        epilog=epilog,
        context_settings=CONTEXT_SETTINGS,
    )
    @version_option()
    @lang_option
    def cli() -> None:
        pass

    _sandbox.register(cli)
    _payouts.register(cli)
    _ops.register(cli)
    _reconcile.register(cli)
    _inbox.register(cli)
    guard_secret_options(cli)  # last: it covers every command registered above
    return cli


def _show_sdk_warnings_on_one_line() -> None:
    """Print the SDK's warnings as ``ligdicash: warning: ...`` lines: a command's user has no
    source line to fix (Python's default display shows the SDK's file and line)."""
    import warnings

    from .._warnings import LigdicashWarning

    default = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: Optional[str] = None,
    ) -> None:
        if issubclass(category, LigdicashWarning):
            text = str(message).replace("Pass callback_url=...", "Pass --callback-url")
            print(f"ligdicash: warning: {text}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        missing(f"the command-line extra ({exc.name})")
    _show_sdk_warnings_on_one_line()
    build_cli().main(args=list(argv) if argv is not None else None, prog_name="ligdicash")


if __name__ == "__main__":  # pragma: no cover
    main()
