"""Choosing a ledger backend from a URL or an open store, and the default ledger: the
account's, one SQLite file per API key in the user's data directory."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import TYPE_CHECKING, Optional, Union

from .._exceptions import InvalidRequestError, StoreURLError
from .._stores._base import Store
from .._stores._open import open_url, probe_postgres, register_scheme, sqlite_path
from ._ledger import Ledger

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = ["account_ledger_url", "data_directory", "default_ledger_url", "open_ledger"]

#: Overrides the data directory (where the accounts' default ledgers live).
DATA_DIR_ENV = "LIGDICASH_DATA_DIR"


def open_ledger(url: Union[str, Store]) -> Ledger:
    """Open (creating its tables if needed) the ledger at ``url``.

    ``url`` takes the SQL forms of :func:`ligdicash.open_store` (the same scheme registry):
    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``postgresql://user:password@host:5432/dbname`` or ``postgres://...`` (extra
    ``[postgres]``; tried with one short connection first). One database may hold the
    ledger's tables and a store's (callbacks, payments) side by side. It may also be an
    open SQLite or PostgreSQL :class:`~ligdicash.Store`: the ledger then lives in the
    store's database and, on PostgreSQL, borrows its connection pool (closing the ledger
    leaves the pool to the store)::

        store = ligdicash.open_store("postgresql://shop@db.internal/shop")
        ledger = open_ledger(store)

    Raises:
        StoreURLError: an empty or malformed URL, an unknown scheme or one a ledger cannot
            live in (``redis://``), a PostgreSQL database that refuses it (no such
            database or role, a wrong password); also an :class:`InvalidRequestError`, as
            before.
        InvalidRequestError: a store that is not SQL, a missing directory.
        StoreUnavailableError: the database cannot be reached (within 2 s) or opened.
        ConfigurationError: a newer ligdicash wrote the ledger's tables.
        ImportError: ``postgresql://`` without psycopg installed (names the extra).
    """
    if isinstance(url, Store):
        return _ledger_in_store(url)
    if not isinstance(url, str) or not url.strip():
        raise StoreURLError("the ledger URL is empty (sqlite:///FILE or postgresql://...)")
    ledger: Ledger = open_url("ledger", url)
    return ledger


def _open_sqlite_ledger(url: str) -> Ledger:
    from ._sqlite import SQLiteLedger

    return SQLiteLedger(sqlite_path(url))


def _open_postgres_ledger(url: str) -> Ledger:
    probe_postgres(url, "ledger")
    from ._postgres import PostgresLedger

    return PostgresLedger(url)


register_scheme("ledger", ("sqlite",), _open_sqlite_ledger, example="sqlite:///FILE")
register_scheme(
    "ledger", ("postgresql", "postgres"), _open_postgres_ledger, example="postgresql://..."
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


def data_directory() -> str:
    """Where ligdicash keeps its data: ``$LIGDICASH_DATA_DIR``, else
    ``$XDG_DATA_HOME/ligdicash`` (if set to an absolute path), else the platform's user data
    directory: ``~/.local/share/ligdicash``; ``~/Library/Application Support/ligdicash``
    on macOS; ``%LOCALAPPDATA%\\ligdicash`` on Windows."""
    explicit = os.environ.get(DATA_DIR_ENV, "").strip()
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative one is ignored
        base = xdg
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Application Support")
    else:
        base = os.path.expanduser("~/.local/share")
    return os.path.join(base, "ligdicash")


def account_ledger_url(
    account: Union[str, Client, AsyncClient], *, directory: Optional[str] = None
) -> str:
    """The default ledger of an account: ``sqlite:///<data>/ledgers/<digest>.db``.

    Every batch of an account, whatever its file's name or folder, goes to this one
    ledger, so a reference that any earlier batch of the account holds is refused
    (:meth:`Ledger.add_batch`): an edited copy of a file cannot pay its unchanged rows
    again. The file is named after a digest of the API key, never the key. The
    directories are created (readable by the user only) if absent.

    Args:
        account: the API key, or a client (its API key).
        directory: instead of :func:`data_directory`.

    Raises:
        InvalidRequestError: no API key; the directory cannot be created.
    """
    api_key = account if isinstance(account, str) else account._settings.api_key
    if not api_key or not api_key.strip():
        raise InvalidRequestError(
            "the default ledger is the account's: give the API key (LIGDICASH_API_KEY), "
            "or a ledger URL (--store / LIGDICASH_PAYOUTS_STORE)"
        )
    digest = hashlib.sha256(b"ligdicash-ledger\0" + api_key.strip().encode("utf-8"))
    folder = os.path.join(directory or data_directory(), "ledgers")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot create the ledgers' directory {folder}: {exc.strerror}"
        ) from None
    return "sqlite:///" + os.path.join(folder, digest.hexdigest()[:32] + ".db")


def default_ledger_url(batch_file: str) -> str:
    """The SQLite ledger that ligdicash before schema 2 kept beside a batch file
    (``payouts.csv`` → ``payouts.csv.ledger.db``).

    Only to find such a ledger again (to finish or look at its batches): new batches go
    to the account's ledger (:func:`account_ledger_url`), which refuses a reference that
    any earlier batch holds; a ledger per file could not see another file's batches.
    """
    return "sqlite:///" + os.path.abspath(os.fspath(batch_file)) + ".ledger.db"
