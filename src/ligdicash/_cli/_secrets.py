"""Secrets on the command line: read them from a file or the environment, and warn when one
is given as an argument anyway.

An argument stays in the process's command line (``ps``, ``/proc/<pid>/cmdline``) for the
whole run, visible to every user of the machine: ``--api-key``, ``--auth-token`` and a
``--store`` URL holding a password should come from the environment (``LIGDICASH_API_KEY``,
``LIGDICASH_AUTH_TOKEN``, ``LIGDICASH_STORE_URL``, ...) or a file (``--api-key-file``,
``--auth-token-file``). :func:`guard_secret_options` walks every command of the group, so a
command added later is covered without a line of its own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    import click

__all__ = [
    "FILE_OPTIONS",
    "SECRET_OPTIONS",
    "STORE_OPTIONS",
    "guard_secret_options",
    "has_secret",
    "read_secret_file",
]

#: Options that always hold a secret, with the option reading it from a file instead.
SECRET_OPTIONS = {"api_key": "--api-key-file", "auth_token": "--auth-token-file"}
#: Options holding a store URL: a secret only when the URL carries a password.
STORE_OPTIONS = frozenset({"store", "store_url"})
#: ``(file option, the option it stands for, its environment variable)``.
FILE_OPTIONS = (
    ("--api-key-file", "api_key", "LIGDICASH_API_KEY_FILE"),
    ("--auth-token-file", "auth_token", "LIGDICASH_AUTH_TOKEN_FILE"),
)


def has_secret(url: str) -> bool:
    """True when a URL carries a password or a secret query parameter."""
    from .._stores._base import redact_url

    return redact_url(url) != url


def read_secret_file(path: str, option: str) -> str:
    """The secret in ``path``: its text without the trailing newline.

    Raises:
        ConfigurationError: the file cannot be read or holds nothing.
    """
    from .._exceptions import ConfigurationError

    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{option}: cannot read {path!r} ({type(exc).__name__})") from None
    if not value:
        raise ConfigurationError(f"{option}: {path!r} is empty")
    return value


def _warn(param: click.Parameter) -> None:
    from ._base import say

    option = max(param.opts, key=len)
    env = param.envvar if isinstance(param.envvar, str) else ""
    key = "cli.secret_in_argv" if param.name in SECRET_OPTIONS else "cli.secret_in_argv_env"
    line = say(key, option=option, env=env, file_option=SECRET_OPTIONS.get(param.name or "", ""))
    print(f"ligdicash: {line}", file=sys.stderr)


def _guarded(
    param: click.Parameter, original: Optional[Callable[..., Any]]
) -> Callable[[click.Context, click.Parameter, Any], Any]:
    import click

    def callback(ctx: click.Context, p: click.Parameter, value: Any) -> Any:
        source = ctx.get_parameter_source(p.name or "")
        typed = bool(value) and source is click.core.ParameterSource.COMMANDLINE
        if typed and (p.name in SECRET_OPTIONS or (isinstance(value, str) and has_secret(value))):
            _warn(p)
        return original(ctx, p, value) if original is not None else value

    return callback


def guard_secret_options(group: click.Group) -> None:
    """Make every secret-bearing option of every command under ``group`` warn on stderr
    when its value was typed on the command line (not when it came from the environment)."""
    import click

    commands: list[click.Command] = [group]
    while commands:
        command = commands.pop()
        if isinstance(command, click.Group):
            commands.extend(command.commands.values())
        for param in command.params:
            # The sandbox's --api-key is the emulator's made-up credential (no envvar): not
            # a secret of the account.
            account_secret = param.name in SECRET_OPTIONS and bool(param.envvar)
            if isinstance(param, click.Option) and (account_secret or param.name in STORE_OPTIONS):
                param.callback = _guarded(param, param.callback)
