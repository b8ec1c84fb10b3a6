"""Choosing a ledger backend from a URL, and the default ledger file beside a batch file."""

from __future__ import annotations

import os

from .._exceptions import InvalidRequestError
from ._ledger import Ledger

__all__ = ["default_ledger_url", "open_ledger"]


def open_ledger(url: str) -> Ledger:
    """Open (creating its tables if needed) the ledger at ``url``.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
    ``postgresql://user:password@host:5432/dbname`` (extra ``[postgres]``).

    Raises:
        InvalidRequestError: an unknown scheme, or a ledger that cannot be opened.
        ImportError: ``postgresql://`` without psycopg installed (names the extra).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequestError("the ledger URL is empty (sqlite:///FILE or postgresql://...)")
    url = url.strip()
    if url.startswith("sqlite:///"):
        from ._sqlite import SQLiteLedger

        path = url[len("sqlite:///") :]
        if not path:
            raise InvalidRequestError("sqlite:/// needs a file path, e.g. sqlite:///payouts.db")
        return SQLiteLedger(path)
    if url.startswith(("postgresql://", "postgres://")):
        from ._postgres import PostgresLedger

        return PostgresLedger(url)
    scheme = url.split(":", 1)[0]
    raise InvalidRequestError(
        f"unknown ledger URL scheme {scheme!r}: use sqlite:///FILE or postgresql://..."
    )


def default_ledger_url(batch_file: str) -> str:
    """The SQLite ledger beside a batch file (``payouts.csv`` → ``payouts.csv.ledger.db``)."""
    return "sqlite:///" + os.path.abspath(os.fspath(batch_file)) + ".ledger.db"
