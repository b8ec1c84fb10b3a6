"""What every command module needs and that needs none of them: the help and ``--version``
options, the one-line usage failure and the missing-extra hint (the group's, re-exported by
the package), and the running command's language (``--lang``, :func:`language`,
:func:`say`; re-exported by ``_common``).
"""

from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn, Optional, TypeVar

HINT = "pip install 'ligdicash[cli,sandbox]'"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
USAGE_ERROR = 2
"""Exit status of a command given bad input (click's own usage errors use it too)."""

F = TypeVar("F", bound=Callable[..., Any])


def missing(what: str) -> NoReturn:
    """Print the one line that installs a missing extra, and exit 1."""
    print(f"ligdicash: {what} is not installed; run: {HINT}", file=sys.stderr)
    raise SystemExit(1)


def fail(message: str, status: int = USAGE_ERROR) -> NoReturn:
    """Print ``ligdicash: message`` (one line, no traceback) to stderr and exit ``status``."""
    print(f"ligdicash: {message}", file=sys.stderr)
    raise SystemExit(status)


def version_option() -> Callable[[F], F]:
    """The ``--version`` option every command and the group carry."""
    import click

    from .._version import __version__

    decorator: Callable[[F], F] = click.version_option(
        __version__, "--version", prog_name="ligdicash", message="%(prog)s %(version)s"
    )
    return decorator


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
