"""The ``ligdicash`` command: ``ligdicash sandbox`` (run the local emulator) and
``ligdicash demo`` (the whole payment lifecycle against an embedded sandbox).

click and rich come with the ``cli`` extra, the server with the ``sandbox`` extra; without
them the command prints the one line that installs them.
"""

from __future__ import annotations

import sys
from typing import Any, Optional, Sequence

HINT = "pip install 'ligdicash[cli,sandbox]'"


def _missing(what: str) -> None:
    print(f"ligdicash: {what} is not installed; run: {HINT}", file=sys.stderr)
    raise SystemExit(1)


def build_cli() -> Any:
    """The click group (built on demand so that importing this module needs no extra)."""
    import click
    from rich.console import Console

    @click.group(help="LigdiCash SDK tools: a local sandbox and a demo.")
    def cli() -> None:
        pass

    @cli.command(help="Run the LigdiCash sandbox (a local emulator of the API).")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
    @click.option(
        "--port",
        default=8765,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="0 picks a free port.",
    )
    @click.option(
        "--db", default=":memory:", show_default=True, help="SQLite file; kept across restarts."
    )
    @click.option(
        "--platform", type=click.Choice(["live", "test"]), default="live", show_default=True
    )
    @click.option("--api-key", default=None, help="Apikey accepted (default sandbox_api_key).")
    @click.option(
        "--auth-token", default=None, help="Bearer token accepted (default sandbox_auth_token)."
    )
    @click.option("--balance", default=None, type=int, help="Initial merchant balance (XOF).")
    @click.option("--fast", is_flag=True, help="Settle everything at once (no operator delays).")
    @click.option("--public-url", default=None, help="Scheme and host to put in payment URLs.")
    @click.option(
        "--http", "http_impl", type=click.Choice(["auto", "h11", "httptools"]), default="auto"
    )
    def sandbox(**options: Any) -> None:
        try:
            from .sandbox._cli_runner import serve
        except ImportError as exc:
            _missing(f"the sandbox server ({exc.name})")
        serve(Console(soft_wrap=True, highlight=False), **options)

    @cli.command(help="Run a hosted payin, a direct payin and a payout against a local sandbox.")
    def demo() -> None:
        try:
            from . import _demo
        except ImportError as exc:
            _missing(f"a demo dependency ({exc.name})")
        console = Console(soft_wrap=True, highlight=False)
        raise SystemExit(_demo.run(console.print))

    return cli


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        _missing(f"the command-line extra ({exc.name})")
    build_cli().main(args=list(argv) if argv is not None else None, prog_name="ligdicash")


if __name__ == "__main__":  # pragma: no cover
    main()
