"""One registry from URL schemes to backends, for every factory that takes a URL:
``open_store(url)`` (a :class:`Store`) here, ``open_ledger(url)`` (a payouts ledger) in
:mod:`ligdicash.payouts`.

Each scheme is registered once, with one opener per kind of thing it can open
(``"store"``, ``"ledger"``). The core registers the store backends of this package
(``memory``, ``sqlite``, ``postgresql``/``postgres``, ``redis``/``rediss``); upper layers
register theirs when they load (the payouts ledger on ``sqlite`` and ``postgresql``; the
Django app's ``django://`` store in its ``AppConfig.ready()``), so nothing here imports
them. Openers import their drivers when called, never at registration.

Every refusal of a URL is one :class:`StoreURLError` (a :class:`ConfigurationError` and
an :class:`InvalidRequestError`), its message free of the URL's password. A PostgreSQL URL
is tried with one short connection before its pool is built: a server that refuses the
URL for good (no such database or role, a wrong password) is a :class:`StoreURLError`
within about 2 s, instead of the pool's 10 s of retries and warnings. A server that cannot
be reached is a :class:`StoreUnavailableError` at once for a ledger (it connects when
opened) and for the commands (:func:`check_store_url`); a store opened by
``open_store`` stays lazy about it, as before.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import unquote

from .._exceptions import StoreUnavailableError, StoreURLError
from ._base import Store, redact_url

__all__ = [
    "DEFAULT_STORE_URL",
    "STORE_URL_ENV",
    "check_store_url",
    "open_store",
    "open_url",
    "probe_postgres",
    "register_scheme",
    "sqlite_path",
    "url_scheme",
]

#: The environment variable ``open_store()`` reads when no URL is given.
STORE_URL_ENV = "LIGDICASH_STORE_URL"
#: The URL used when neither an argument nor the environment names a store.
DEFAULT_STORE_URL = "sqlite:///ligdicash-callbacks.sqlite3"

#: ``opener(url, **options)`` → the opened thing.
Opener = Callable[..., Any]

#: Seconds the PostgreSQL probe waits for the server (libpq's smallest useful timeout).
PROBE_TIMEOUT = 2


@dataclass
class _Scheme:
    """One URL scheme: its example form and an opener per kind (``store``, ``ledger``)."""

    example: str
    openers: dict[str, Opener] = field(default_factory=dict)


_SCHEMES: dict[str, _Scheme] = {}

# Schemes whose opener an upper layer registers when it loads: (kind, example form, what
# to say when asked for one before it did).
_REGISTERED_BY = {
    "django": (
        "store",
        "django://",
        "django:// needs Django set up (django.setup()) with 'ligdicash.contrib.django' "
        "in INSTALLED_APPS",
    ),
}


def register_scheme(kind: str, names: tuple[str, ...], opener: Opener, *, example: str) -> None:
    """Make ``open_url(kind, url)`` call ``opener(url, **options)`` for a URL whose scheme
    is one of ``names`` (lower case). Registering again replaces the opener."""
    for name in names:
        entry = _SCHEMES.setdefault(name, _Scheme(example))
        entry.openers[kind] = opener


def url_scheme(url: str) -> str:
    """The URL's scheme in lower case (``""`` when it has none)."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _forms(kind: str) -> str:
    """The URL forms ``kind`` can be opened from, for messages."""
    seen: list[str] = []
    for entry in _SCHEMES.values():
        if kind in entry.openers and entry.example not in seen:
            seen.append(entry.example)
    for name, (later_kind, example, _) in _REGISTERED_BY.items():
        if later_kind == kind and name not in _SCHEMES and example not in seen:
            seen.append(example)
    return ", ".join(seen)


def open_url(kind: str, url: Any, **options: Any) -> Any:
    """Open the ``kind`` (``"store"``, ``"ledger"``) that ``url`` names, with the opener
    registered for its scheme.

    Raises:
        StoreURLError: not a URL, or a scheme no backend of this kind is registered for.
        ImportError: the backend's driver is not installed (the message names the extra).
    """
    text = url.strip() if isinstance(url, str) else ""
    if "://" not in text:
        shown = redact_url(str(url)) if isinstance(url, str) else type(url).__name__
        raise StoreURLError(f"a {kind} URL looks like {_forms(kind)} (got {shown!r})")
    scheme = url_scheme(text)
    entry = _SCHEMES.get(scheme)
    opener = entry.openers.get(kind) if entry is not None else None
    if opener is None:
        if entry is None and _REGISTERED_BY.get(scheme, ("",))[0] == kind:
            raise StoreURLError(_REGISTERED_BY[scheme][2])
        if entry is not None:
            raise StoreURLError(f"scheme {scheme!r} cannot hold a {kind}: use {_forms(kind)}")
        raise StoreURLError(f"unknown {kind} URL scheme {scheme!r}: use {_forms(kind)}")
    return opener(text, **options)


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL names
    (percent-escapes decoded).

    Raises:
        StoreURLError: no file named.
    """
    path = unquote(url[len("sqlite:///") :]) if url.lower().startswith("sqlite:///") else ""
    if not path:
        raise StoreURLError(
            "a SQLite URL needs a file path: sqlite:///relative/path or sqlite:////absolute/path"
        )
    return path


# libpq's words for a server that refuses the URL itself: asking again will not help.
_REFUSED_FOR_GOOD = re.compile(
    r"does not exist|authentication failed|no password supplied|pg_hba\.conf|"
    r"invalid (?:connection option|port|integer value|sslmode)|"
    r"missing \"=\"|invalid URI|invalid percent",
    re.IGNORECASE,
)


def probe_postgres(url: str, what: str, *, down_is_error: bool = True) -> None:
    """Try ``url`` with one connection of at most :data:`PROBE_TIMEOUT` seconds, closed at
    once, so that a bad URL or a server that is down fails here in one sentence instead of
    through the pool (10 s of retries, one warning per retry).

    Args:
        down_is_error: ``False`` lets a server that cannot be reached pass (a store opens
            its pool on first use, and may be opened while its server restarts); a URL
            refused for good still raises.

    Raises:
        StoreURLError: the server refused the URL for good (no such database or role, a
            wrong password, a malformed URL).
        StoreUnavailableError: the server cannot be reached (down, unreachable host).
        ImportError: psycopg is not installed (the message names the extra).
    """
    from . import _pg_pool  # first: its ImportError names the extra

    unavailable = _pg_pool.UNAVAILABLE
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=PROBE_TIMEOUT, autocommit=True).close()
    except (*unavailable, psycopg.Error, ValueError) as exc:
        text = str(exc).strip()
        # libpq's line is "connection failed: connection to server at ... failed: FATAL:
        # database "x" does not exist": keep what the server said.
        reason = text.split("FATAL:", 1)[-1].strip().splitlines()[0] if text else ""
        reason = (
            reason[len("connection failed: ") :]
            if reason.startswith("connection failed: ")
            else reason
        )
        reason = redact_url(" ".join(reason.split()))[:300]
        shown = redact_url(url)
        if isinstance(exc, ValueError) or _REFUSED_FOR_GOOD.search(text):
            raise StoreURLError(f"the PostgreSQL {what} {shown} cannot be used: {reason}") from None
        if not down_is_error:
            return
        raise StoreUnavailableError(
            f"the PostgreSQL {what} {shown} is unavailable: {reason}", code="store_unavailable"
        ) from None


def _open_memory(url: str, **options: Any) -> Store:
    from ._memory import MemoryStore

    return MemoryStore(**options)


def _open_sqlite(url: str, **options: Any) -> Store:
    from ._sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(url), **options)


def _open_postgres(url: str, **options: Any) -> Store:
    # A store stays lazy about a server that is down (its first use raises, as before);
    # a URL the server refuses for good is refused now.
    probe_postgres(url, "store", down_is_error=False)
    from ._postgres import PostgresStore

    return PostgresStore(url, **options)


def _open_redis(url: str, **options: Any) -> Store:
    from ._redis import RedisStore

    return RedisStore(url, **options)


register_scheme("store", ("sqlite",), _open_sqlite, example="sqlite:///FILE")
register_scheme("store", ("postgresql", "postgres"), _open_postgres, example="postgresql://...")
register_scheme("store", ("redis", "rediss"), _open_redis, example="redis://...")
register_scheme("store", ("memory",), _open_memory, example="memory://")


def check_store_url(url: str) -> None:
    """For commands, before they open a store: a PostgreSQL URL whose server is down or
    refuses it raises now, in one sentence within about 2 s (``open_store`` itself lets a
    server that is down pass until the store's first use).

    Raises:
        StoreURLError: a URL the server refuses for good.
        StoreUnavailableError: the server cannot be reached.
        ImportError: psycopg is not installed (the message names the extra).
    """
    if isinstance(url, str) and url_scheme(url.strip()) in ("postgresql", "postgres"):
        probe_postgres(url.strip(), "store")


def open_store(url: Optional[str] = None, **options: Any) -> Store:
    """Open the store a URL names (the argument, else ``LIGDICASH_STORE_URL``, else
    ``sqlite:///ligdicash-callbacks.sqlite3`` in the working directory).

    URL forms:

    * ``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3``: one
      machine (the default);
    * ``postgresql://user:password@host:5432/db`` (or ``postgres://``): several machines,
      ``pip install 'ligdicash[postgres]'``; tried with one short connection first (a URL
      the server refuses is refused at once; a server that is down only fails the store's
      first use, as its pool opens then);
    * ``redis://host:6379/0?prefix=myshop:`` (or ``rediss://``): several machines,
      ``pip install 'ligdicash[redis]'``;
    * ``django://`` or ``django://<alias>``: the Django ORM on the project's ``DATABASES``
      (``"ligdicash.contrib.django"`` in ``INSTALLED_APPS``, then ``migrate``);
    * ``memory://``: this process only (tests).

    ``options`` go to the backend's constructor (``clock=``, ``timeout=``, ``prefix=``,
    ``max_size=``, ...)::

        store = ligdicash.open_store("postgresql://shop@db.internal/shop")

    Raises:
        StoreURLError: an unknown scheme, a malformed URL, a PostgreSQL database that
            refuses it (no such database or role, a wrong password); also a
            :class:`ConfigurationError`, as before.
        ImportError: the backend's driver is not installed (the message names the extra).
    """
    if url is None:
        url = os.environ.get(STORE_URL_ENV) or DEFAULT_STORE_URL
    store: Store = open_url("store", url, **options)
    return store
