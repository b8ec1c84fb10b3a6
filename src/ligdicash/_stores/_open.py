"""``open_store(url)``: one factory from a URL to a :class:`Store`; backends load lazily."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from .._exceptions import ConfigurationError
from ._base import Store, redact_url

__all__ = ["DEFAULT_STORE_URL", "STORE_URL_ENV", "open_store", "sqlite_path", "url_scheme"]

#: The environment variable ``open_store()`` reads when no URL is given.
STORE_URL_ENV = "LIGDICASH_STORE_URL"
#: The URL used when neither an argument nor the environment names a store.
DEFAULT_STORE_URL = "sqlite:///ligdicash-callbacks.sqlite3"


def url_scheme(url: str) -> str:
    """The URL's scheme in lower case (``""`` when it has none)."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL names
    (percent-escapes decoded).

    Raises:
        ConfigurationError: no file named.
    """
    path = unquote(url[len("sqlite:///") :]) if url.lower().startswith("sqlite:///") else ""
    if not path:
        raise ConfigurationError("a SQLite store URL names a file: sqlite:///path/to/file")
    return path


def open_store(url: Optional[str] = None, **options: Any) -> Store:
    """Open the store a URL names (the argument, else ``LIGDICASH_STORE_URL``, else
    ``sqlite:///ligdicash-callbacks.sqlite3`` in the working directory).

    URL forms:

    * ``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3``: one
      machine (the default);
    * ``postgresql://user:password@host:5432/db`` (or ``postgres://``): several machines,
      ``pip install 'ligdicash[postgres]'``;
    * ``redis://host:6379/0?prefix=myshop:`` (or ``rediss://``): several machines,
      ``pip install 'ligdicash[redis]'``;
    * ``django://`` or ``django://<alias>``: the Django ORM on the project's ``DATABASES``
      (``"ligdicash.contrib.django"`` in ``INSTALLED_APPS``, then ``migrate``);
    * ``memory://``: this process only (tests).

    ``options`` go to the backend's constructor (``clock=``, ``timeout=``, ``prefix=``,
    ``max_size=``, ...)::

        store = ligdicash.open_store("postgresql://shop@db.internal/shop")

    Raises:
        ConfigurationError: an unknown scheme or a malformed URL.
        ImportError: the backend's driver is not installed (the message names the extra).
    """
    if url is None:
        url = os.environ.get(STORE_URL_ENV) or DEFAULT_STORE_URL
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"a store URL looks like sqlite:///file, postgresql://..., redis://..., django:// "
            f"or memory:// (got {redact_url(str(url))!r})"
        )
    scheme = url_scheme(url)
    if scheme == "memory":
        from ._memory import MemoryStore

        return MemoryStore(**options)
    if scheme == "sqlite":
        from ._sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url), **options)
    if scheme in ("postgresql", "postgres"):
        store_class: Any = import_module("._postgres", __package__).PostgresStore
        return store_class(url, **options)  # type: ignore[no-any-return]
    if scheme in ("redis", "rediss"):
        store_class = import_module("._redis", __package__).RedisStore
        return store_class(url, **options)  # type: ignore[no-any-return]
    if scheme == "django":
        alias = urlsplit(url).netloc or "default"
        store_class = import_module("ligdicash.contrib.django._store").DjangoStore
        return store_class(alias, **options)  # type: ignore[no-any-return]
    raise ConfigurationError(
        f"unknown store scheme {scheme!r}: use sqlite, postgresql, redis, django or memory"
    )
