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

from ._base import amount_text, confirm, lang_option, language, say

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "amount_text",
    "confirm",
    "credential_options",
    "exit_code_for",
    "fail",
    "lang_option",
    "language",
    "make_client",
    "one_line_errors",
    "say",
]

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
