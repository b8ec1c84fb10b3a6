"""``ligdicash sandbox`` (run the local emulator) and ``ligdicash demo`` (the whole payment
lifecycle against an embedded sandbox). Both speak ``--lang``, else ``LIGDICASH_LANG``, else
the locale; the sandbox's pages default to that language too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import click

MAX_BALANCE = 10**15


def _public_url(value: Optional[str]) -> Optional[str]:
    """``--public-url``: an absolute http(s) URL with a host; raises ``ValueError``."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL such as http://127.0.0.1:8765")
    return value.strip()


def register(cli: click.Group) -> None:
    """Add the ``sandbox`` and ``demo`` commands to the click group ``cli``."""
    import click
    from rich.console import Console

    from ._base import fail, missing, version_option
    from ._common import lang_option, language

    def public_url(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Any:
        try:
            return _public_url(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    @cli.command(help="Run the LigdiCash sandbox (a local emulator of the API).")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
    @click.option(
        "--port",
        default=8765,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="TCP port; 0 picks a free one.",
    )
    @click.option(
        "--db",
        default=":memory:",
        show_default=True,
        help="SQLite file; transactions, balance and callbacks survive restarts.",
    )
    @click.option(
        "--platform",
        type=click.Choice(["live", "test"]),
        default="live",
        show_default=True,
        help="Which table of refusal codes payins and status calls answer with.",
    )
    @click.option("--api-key", default=None, help="Apikey accepted (default sandbox_api_key).")
    @click.option(
        "--auth-token", default=None, help="Bearer token accepted (default sandbox_auth_token)."
    )
    @click.option(
        "--balance",
        default=None,
        type=click.IntRange(0, MAX_BALANCE),
        help="Initial merchant balance in XOF (default 10,000,000).",
    )
    @click.option("--fast", is_flag=True, help="Settle everything at once (no operator delays).")
    @click.option(
        "--public-url",
        default=None,
        callback=public_url,
        help="Scheme and host put in payment URLs, e.g. http://sandbox:8765 (also accepted "
        "as the control API's Host).",
    )
    @click.option(
        "--wire",
        type=click.Choice(["documented", "legacy"]),
        default="documented",
        show_default=True,
        help="Payload shapes: as developers.ligdicash.com documents them, or the older "
        "observed ones (JWT callback token, nocompleted, bracket form keys).",
    )
    @click.option(
        "--http",
        "http_impl",
        type=click.Choice(["auto", "h11", "httptools"]),
        default="auto",
        show_default=True,
        help="uvicorn's HTTP implementation (auto: httptools when installed).",
    )
    @lang_option
    @version_option()
    def sandbox(**options: Any) -> None:
        try:
            from ..sandbox._cli_runner import SandboxStartError, serve
        except ImportError as exc:
            missing(f"the sandbox server ({exc.name or exc})")
        try:
            serve(Console(soft_wrap=True, highlight=False), language=language(), **options)
        except SandboxStartError as exc:
            fail(str(exc), exc.status)

    @cli.command(help="Run a hosted payin, a direct payin and a payout against a local sandbox.")
    @lang_option
    @version_option()
    def demo() -> None:
        try:
            from . import _demo
        except ImportError as exc:
            missing(f"a demo dependency ({exc.name or exc})")
        console = Console(soft_wrap=True, highlight=False)
        raise SystemExit(_demo.run(console.print, language()))
