"""What the command modules share: credentials and language options, exit codes, one-line
errors, and :func:`say` (a message of the catalog in the user's language, ``ligdicash._i18n``).

Exit codes (documented in docs/payouts.md and in ``ligdicash -h``: :data:`EXIT_CODES`):

- 0: done.
- 1: refused: LigdiCash refused (or the batch is paused on a refusal about the account),
  or the user declined the confirmation.
- 2: usage error: bad options or input, a bad batch file or store URL, missing credentials.
- 3: network, server or store failure, or payouts sent but not settled yet (run again).
- 4: some payouts failed (refused for good) or rows were skipped; the rest is done.
- 5: some payouts are in doubt: they may have been sent; a person must check them.
- 130: interrupted (Ctrl-C or SIGTERM) after finishing and recording what was in flight.

With ``--json``, an error is also one JSON object on stdout (:func:`fail`).
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
EXIT_SOME_FAILED, EXIT_IN_DOUBT = 4, 5

#: The exit codes, as ``ligdicash -h`` lists them.
EXIT_CODES = (
    (EXIT_OK, "done"),
    (EXIT_REFUSED, "refused by LigdiCash, a paused batch, or the confirmation declined"),
    (EXIT_USAGE, "usage error: bad options, batch file, store URL or credentials"),
    (EXIT_FAILURE, "network, server or store failure, or payouts not settled yet: run again"),
    (EXIT_SOME_FAILED, "some payouts failed or rows were skipped; the rest is done"),
    (EXIT_IN_DOUBT, "some payouts are in doubt (may have been sent): check, then resolve"),
    (EXIT_INTERRUPTED, "interrupted, after recording what was in flight"),
)

F = TypeVar("F", bound=Callable[..., Any])


# The JSON error's "code" when no SDK error gives one.
_WORDS = {
    EXIT_REFUSED: "refused",
    EXIT_USAGE: "usage",
    EXIT_FAILURE: "failure",
    EXIT_IN_DOUBT: "in_doubt",
}


def json_requested() -> bool:
    """Whether the running command (or a group above it) was given ``--json``."""
    try:
        import click
    except ImportError:  # pragma: no cover - the command needs click to run at all
        return False
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


def fail(message: str, code: int, *, error: Optional[BaseException] = None) -> NoReturn:
    """Print ``ligdicash: message`` on one line to stderr and exit with ``code``; under
    ``--json`` also print ``{"error": {"code", "message", "exit_code"[, "problems"]}}`` on
    stdout (``code`` the error's own, e.g. ``invalid_batch``; ``problems`` a batch file's
    bad rows, each with its line)."""
    line = " ".join(message.split())
    print(f"ligdicash: {line}", file=sys.stderr)
    if json_requested():
        import json

        found: dict[str, Any] = {
            "code": str(getattr(error, "code", "") or _WORDS.get(code, "error")),
            "message": " ".join(str(getattr(error, "message", "") or line).split()),
            "exit_code": code,
        }
        problems = getattr(error, "problems", None)
        if problems:
            found["problems"] = [{"line": p.line, "message": p.message} for p in problems]
        print(json.dumps({"error": found}, ensure_ascii=False))
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
        fail(str(exc), exit_code_for(exc), error=exc)
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
