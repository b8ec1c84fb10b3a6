"""The base of the SQL stores: how a statement runs is the backend's, the rest is shared."""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any, Callable, Sequence

from ._base import Store

__all__ = ["Row", "SQLBase"]

Row = Sequence[Any]


class SQLBase(Store):
    """A :class:`Store` over one SQL database; the backends provide :meth:`_run`.

    Args:
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    #: Appended to the sub-select that picks rows to lease.
    _row_lock = ""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        """Run one statement (``?`` placeholders) in its own transaction; return
        (rowcount, fetched rows). Raises StoreUnavailableError when the database fails."""

    def _rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return self._run(sql, params, write=False)[1]
