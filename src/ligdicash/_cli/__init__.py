"""The ``ligdicash`` command. Each group of subcommands lives in its own module and adds
itself to the click group with ``register(cli)``:

- :mod:`._sandbox`: ``ligdicash sandbox`` (the local emulator) and ``ligdicash demo``.

click and rich come with the ``cli`` extra, the server with the ``sandbox`` extra; without
them the command prints the one line that installs them.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn, Optional, Sequence

HINT = "pip install 'ligdicash[cli,sandbox]'"


def missing(what: str) -> NoReturn:
    """Print the one line that installs a missing extra, and exit 1."""
    print(f"ligdicash: {what} is not installed; run: {HINT}", file=sys.stderr)
    raise SystemExit(1)


def build_cli() -> Any:
    """The click group (built on demand so that importing this module needs no extra)."""
    import click

    from . import _ops, _payouts, _sandbox

    @click.group(help="LigdiCash SDK tools: a local sandbox and a demo.")
    def cli() -> None:
        pass

    _sandbox.register(cli)
    _payouts.register(cli)
    _ops.register(cli)
    return cli


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        missing(f"the command-line extra ({exc.name})")
    build_cli().main(args=list(argv) if argv is not None else None, prog_name="ligdicash")


if __name__ == "__main__":  # pragma: no cover
    main()
