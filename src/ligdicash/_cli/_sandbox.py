"""``ligdicash sandbox`` (run the local emulator) and ``ligdicash demo`` (the whole payment
lifecycle against an embedded sandbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click


def register(cli: click.Group) -> None:
    """Add the ``sandbox`` and ``demo`` commands to the click group ``cli``."""
    import click
    from rich.console import Console

    from . import missing

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
            from ..sandbox._cli_runner import serve
        except ImportError as exc:
            missing(f"the sandbox server ({exc.name})")
        serve(Console(soft_wrap=True, highlight=False), **options)

    @cli.command(help="Run a hosted payin, a direct payin and a payout against a local sandbox.")
    def demo() -> None:
        try:
            from .. import _demo
        except ImportError as exc:
            missing(f"a demo dependency ({exc.name})")
        console = Console(soft_wrap=True, highlight=False)
        raise SystemExit(_demo.run(console.print))
