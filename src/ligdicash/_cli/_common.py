"""What the command modules share: credentials and language options, exit codes, one-line
errors, and :func:`say` (a message of the catalog in the user's language, ``ligdicash._i18n``).

Exit codes (documented in docs/payouts.md and in ``ligdicash -h``):

- 0: done.
- 1: refused: LigdiCash refused (or the batch is paused on a refusal about the account),
  or the user declined the confirmation.
- 2: usage error: bad options or input, a bad batch file, missing credentials.
- 3: network or server failure, or a payout left in doubt / not yet settled.
- 130: interrupted (Ctrl-C or SIGTERM) after finishing and recording what was in flight.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, TypeVar

if TYPE_CHECKING:
    from .._client import Client

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> NoReturn:
    """Print ``ligdicash: message`` on one line to stderr and exit with ``code``."""
    print(f"ligdicash: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(code)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for a LigdicashError (anything else: 3)."""
    from .._exceptions import ConfigurationError, InvalidRequestError, RequestRefusedError
    from ..payouts._states import LedgerStateError

    if isinstance(exc, RequestRefusedError) and exc.http_status is not None:
        return EXIT_REFUSED
    # A ledger item in another state than the command needs (resolving a completed
    # payout) is the operator's request that cannot apply: usage, not a network failure.
    if isinstance(exc, (InvalidRequestError, ConfigurationError, LedgerStateError)):
        return EXIT_USAGE
    if isinstance(exc, RequestRefusedError):
        return EXIT_REFUSED
    return EXIT_FAILURE


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn our errors (and a missing optional driver) into one line and an exit code."""
    from .._exceptions import LigdicashError

    try:
        yield
    except LigdicashError as exc:
        fail(str(exc), exit_code_for(exc))
    except ImportError as exc:
        fail(str(exc), EXIT_USAGE)


_LANG_KEY = "ligdicash.lang"


def language() -> str:
    """The running command's language: its ``--lang``, else the environment's (see
    :func:`ligdicash._i18n.language_from_environ`)."""
    import click

    from .._i18n import language_from_environ

    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(_LANG_KEY) if ctx is not None else None
    return str(chosen) if chosen else language_from_environ()


def say(key: str, **fields: Any) -> str:
    """The catalog's message ``key`` in the running command's language."""
    from .._i18n import message

    return message(language(), key, **fields)


def amount_text(amount: int) -> str:
    """An amount in the running command's language: ``5,015`` or ``5\u202f015``."""
    from .._i18n import format_amount

    return format_amount(amount, language())


def confirm(question: str) -> None:
    """Ask ``question`` on stderr; return on a yes of the command's language (``o``/``oui``
    in French, ``y``/``yes`` in any), raise ``click.Abort`` on a no, an empty answer or the
    end of input, and ask again on anything else."""
    import click

    from .._i18n import answer_is_yes

    while True:
        answer = click.prompt(
            f"{question} {say('cli.confirm_hint')}", default="", show_default=False, err=True
        )
        decided = answer_is_yes(answer, language())
        if decided is None:
            click.echo(say("cli.confirm_again"), err=True)
            continue
        if not decided:
            raise click.Abort()
        return


def lang_option(func: F) -> F:
    """Add ``--lang fr|en`` to a command (kept in the click context's ``meta``, so a command
    run in-process leaves nothing behind)."""
    import click

    from .._i18n import LANGUAGES, language_from_environ, message

    def remember(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> None:
        if value:
            ctx.meta[_LANG_KEY] = value

    decorated: F = click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        expose_value=False,
        is_eager=True,
        callback=remember,
        help=message(language_from_environ(), "cli.lang_help"),
    )(func)
    return decorated


def credential_options(func: F) -> F:
    """Add ``--api-key``, ``--auth-token`` (or ``--api-key-file``, ``--auth-token-file``),
    ``--base-url``, ``--platform`` and ``--lang`` to a command."""
    import click

    options = [
        lang_option,
        click.option(
            "--api-key",
            envvar="LIGDICASH_API_KEY",
            help="(env LIGDICASH_API_KEY; an argument is visible in ps: prefer the env or a file)",
        ),
        click.option(
            "--api-key-file",
            envvar="LIGDICASH_API_KEY_FILE",
            type=click.Path(dir_okay=False),
            help="Read the API key from this file (env LIGDICASH_API_KEY_FILE).",
        ),
        click.option(
            "--auth-token",
            envvar="LIGDICASH_AUTH_TOKEN",
            help="(env LIGDICASH_AUTH_TOKEN; prefer the env or a file)",
        ),
        click.option(
            "--auth-token-file",
            envvar="LIGDICASH_AUTH_TOKEN_FILE",
            type=click.Path(dir_okay=False),
            help="Read the auth token from this file (env LIGDICASH_AUTH_TOKEN_FILE).",
        ),
        click.option(
            "--base-url",
            envvar="LIGDICASH_BASE_URL",
            help="API root, e.g. a sandbox's http://127.0.0.1:8765/pay/v01/ "
            "(env LIGDICASH_BASE_URL)",
        ),
        click.option(
            "--platform",
            envvar="LIGDICASH_PLATFORM",
            type=click.Choice(["live", "test"]),
            help="(env LIGDICASH_PLATFORM; default live)",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_client(options: dict[str, Any], *, max_retries: Optional[int] = None) -> Client:
    """A Client from the credential options (popped from ``options``), else the env.

    Raises:
        ConfigurationError: a secret given both directly and as a file, or a file that
            cannot be read.
    """
    from .._client import Client
    from .._exceptions import ConfigurationError
    from ._secrets import FILE_OPTIONS, read_secret_file

    secrets: dict[str, Any] = {}
    for file_option, name, _ in FILE_OPTIONS:
        path = options.pop(file_option[2:].replace("-", "_"), None)
        secrets[name] = options.pop(name, None)
        if path:
            if secrets[name]:
                raise ConfigurationError(
                    f"give --{name.replace('_', '-')} or {file_option}, not both"
                )
            secrets[name] = read_secret_file(path, file_option)
    return Client(
        api_key=secrets["api_key"],
        auth_token=secrets["auth_token"],
        base_url=options.pop("base_url", None),
        platform=options.pop("platform", None),
        max_retries=max_retries,
    )
