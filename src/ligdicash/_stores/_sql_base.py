"""The base of the SQL stores: how a statement runs is the backend's, the SQL is shared.

The statements are data: templates (one module-level constant each, in ``_sql_claims``,
``_sql_inbox`` and ``_sql_registry``) with ``?`` parameters and ``{name}`` slots for what
differs between the databases that run them: the table names (the Django app's tables are
``ligdicash_django_*``), the row lock that picks rows to lease (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, nothing on SQLite, whose writers are serialised) and the shared column
lists. A store fills the slots once per template and passes the result to its
:meth:`SQLBase._run`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Sequence

__all__ = ["SQL_NAMES", "Row", "SQLBase"]

Row = Sequence[Any]

#: What the templates' ``{name}`` slots hold by default (the SQLite and PostgreSQL stores'
#: tables); a backend overrides some in its ``_names``.
SQL_NAMES: dict[str, str] = {
    "idem": "ligdicash_idempotency",
    "inbox": "ligdicash_inbox",
    "payments": "ligdicash_payments",
    "lock": "",
    "idem_columns": "key, state, owner, lease_until, attempts, note, updated_at",
    "inbox_columns": (
        "digest, body, content_type, received_at, state, owner, lease_until, attempts, "
        "deliveries, outcome, updated_at"
    ),
    "payment_columns": (
        "reference, kind, amount, token, status, created_at, updated_at, next_poll_at, "
        "poll_attempts, owner, lease_until, note"
    ),
    "inbox_claimable": "(state = 'pending' OR (state = 'processing' AND lease_until <= ?))",
    "payment_due": "status = 'pending' AND next_poll_at <= ? AND lease_until <= ?",
}


class SQLBase(ABC):
    """What the SQL stores' parts (claims, inbox, registry) share: the clock, the filled
    templates, and :meth:`_run`, which the backends provide.

    Args:
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    #: The backend's values for the templates' slots (over :data:`SQL_NAMES`).
    _names: ClassVar[dict[str, str]] = {}
    #: The driver's parameter marker (``?`` in the templates).
    _placeholder = "?"

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._statements: dict[str, str] = {}

    def _sql(self, template: str) -> str:
        """``template`` with its slots filled for this backend (once per template)."""
        statement = self._statements.get(template)
        if statement is None:
            statement = template.format_map(self._slots())
            if self._placeholder != "?":
                statement = statement.replace("?", self._placeholder)
            self._statements[template] = statement
        return statement

    def _slots(self) -> dict[str, str]:
        """What fills the templates' slots on this backend."""
        return {**SQL_NAMES, **self._names}

    def _exec(self, template: str, params: Sequence[Any]) -> tuple[int, list[Row]]:
        """Run one writing statement in its own transaction (or the caller's): (rowcount,
        fetched rows)."""
        return self._run(self._sql(template), params, write=True)

    def _rows(self, template: str, params: Sequence[Any]) -> list[Row]:
        """The rows of one reading statement."""
        return self._run(self._sql(template), params, write=False)[1]

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        """Run one statement (the driver's placeholders) in its own transaction; return
        (rowcount, fetched rows). Raises StoreUnavailableError when the database fails."""
