"""Choosing a ledger backend from a URL or an open store, and the default ledger file
beside a batch file."""

from __future__ import annotations

import os
from typing import Union

from .._exceptions import ConfigurationError, InvalidRequestError
from .._stores._base import Store
from .._stores._open import sqlite_path, url_scheme
from ._ledger import Ledger

__all__ = ["default_ledger_url", "open_ledger"]


def open_ledger(url: Union[str, Store]) -> Ledger:
    """Open (creating its tables if needed) the ledger at ``url``.

    ``url`` takes the SQL forms of :func:`ligdicash.open_store`: ``sqlite:///relative/path.db``,
    ``sqlite:////absolute/path.db``, ``postgresql://user:password@host:5432/dbname`` or
    ``postgres://...`` (extra ``[postgres]``). One database may hold the ledger's tables
    and a store's (callbacks, payments) side by side. It may also be an open SQLite or
    PostgreSQL :class:`~ligdicash.Store`: the ledger then lives in the store's database
    and, on PostgreSQL, borrows its connection pool (closing the ledger leaves the pool
    to the store)::

        store = ligdicash.open_store("postgresql://shop@db.internal/shop")
        ledger = open_ledger(store)

    Raises:
        InvalidRequestError: an unknown scheme, a store that is not SQL, a missing
            directory.
        StoreUnavailableError: the database cannot be reached or opened.
        ConfigurationError: a newer ligdicash wrote the ledger's tables.
        ImportError: ``postgresql://`` without psycopg installed (names the extra).
    """
    if isinstance(url, Store):
        return _ledger_in_store(url)
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequestError("the ledger URL is empty (sqlite:///FILE or postgresql://...)")
    url = url.strip()
    scheme = url_scheme(url)
    if scheme == "sqlite":
        from ._sqlite import SQLiteLedger

        try:
            path = sqlite_path(url)
        except ConfigurationError:
            raise InvalidRequestError(
                "sqlite:/// needs a file path, e.g. sqlite:///payouts.db"
            ) from None
        return SQLiteLedger(path)
    if scheme in ("postgresql", "postgres"):
        from ._postgres import PostgresLedger

        return PostgresLedger(url)
    raise InvalidRequestError(
        f"unknown ledger URL scheme {scheme or url.split(':', 1)[0]!r}: use sqlite:///FILE "
        "or postgresql://..."
    )


def _ledger_in_store(store: Store) -> Ledger:
    from .._stores._sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from ._sqlite import SQLiteLedger

        return SQLiteLedger(store.path)
    try:  # only a PostgresStore's owner has psycopg installed
        from .._stores._postgres import PostgresStore
    except ImportError:
        PostgresStore = None  # type: ignore[assignment,misc]
    if PostgresStore is not None and isinstance(store, PostgresStore):
        from ._postgres import PostgresLedger

        return PostgresLedger(pool=store.pool)
    raise InvalidRequestError(
        f"a ledger lives in a SQL store (SQLite or PostgreSQL), not in {type(store).__name__}"
    )


def default_ledger_url(batch_file: str) -> str:
    """The SQLite ledger beside a batch file (``payouts.csv`` → ``payouts.csv.ledger.db``)."""
    return "sqlite:///" + os.path.abspath(os.fspath(batch_file)) + ".ledger.db"
