"""``django://<alias>``: the store in the Django project's own database, on the SQL path.

The same statements as the SQLite and PostgreSQL stores (``ligdicash._stores._sql``), run
through Django's own connection (``connections[alias].cursor()``), as procrastinate's
Django connector does: the project's ``DATABASES`` settings, its per-thread connections and
its transactions. Outside ``transaction.atomic`` each statement commits by itself (Django's
autocommit), atomic on its own as on the other SQL stores; inside one (the callback
processor's :meth:`DjangoStore.atomic`, or the caller's) it is part of that transaction.
The tables are the app's models (``models.py``, created by ``migrate``), whose names
differ from the other stores': ``ligdicash_django_*``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, ClassVar, Sequence

from django.db import (  # type: ignore[import-untyped,unused-ignore]
    DataError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)

from ..._exceptions import ConfigurationError, InvalidRequestError, StoreUnavailableError
from ..._stores._sql import Row, SQLStore
from ..._stores._types import SCHEMA_VERSION

__all__ = ["DjangoStore"]

#: The Django database vendors the shared SQL runs on (``ON CONFLICT``, ``RETURNING``,
#: ``MATERIALIZED``), with the row lock each takes on the rows it leases.
_ROW_LOCKS = {"postgresql": " FOR UPDATE SKIP LOCKED", "sqlite": ""}


class DjangoStore(SQLStore):
    """Claims, inbox and payment registry in the Django project's database (PostgreSQL, or
    SQLite 3.35 or later).

    Needs ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` and ``migrate``. When the
    alias is PostgreSQL, every host of the project shares it.

    Args:
        alias: the ``DATABASES`` entry to use (default ``"default"``).
        clock: seconds since the epoch; injectable to test lease expiry.

    Raises:
        ConfigurationError: at the first operation, when the alias's database is neither
            PostgreSQL nor SQLite.
    """

    _names: ClassVar[dict[str, str]] = {
        "idem": "ligdicash_django_idempotency",
        "inbox": "ligdicash_django_inbox",
        "payments": "ligdicash_django_payments",
    }
    # Django's cursors take ``%s`` on every backend (its SQLite wrapper turns them into ``?``).
    _placeholder = "%s"

    def __init__(self, alias: str = "default", *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        self.alias = alias

    def _slots(self) -> dict[str, str]:
        vendor = connections[self.alias].vendor
        if vendor not in _ROW_LOCKS:
            raise ConfigurationError(
                f"the Django store runs on PostgreSQL or SQLite; database {self.alias!r} "
                f"is {vendor}: use another store URL (postgresql://, redis://)"
            )
        return {**super()._slots(), "lock": _ROW_LOCKS[vendor]}

    def _run(self, sql: str, params: Sequence[Any], *, write: bool) -> tuple[int, list[Row]]:
        connection = connections[self.alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows: list[Row] = list(cursor.fetchall()) if cursor.description else []
                return int(cursor.rowcount), rows
        except (OperationalError, InterfaceError) as exc:
            if not connection.in_atomic_block:  # a dead connection: the next call reconnects
                connection.close_if_unusable_or_obsolete()
            raise StoreUnavailableError(
                f"the Django store (database {self.alias!r}) is unavailable: "
                f"{type(exc).__name__}: {str(exc)[:200]}",
                code="store_unavailable",
            ) from None
        except DataError as exc:
            raise InvalidRequestError(
                f"the Django store (database {self.alias!r}) refused a value: "
                f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:200]}",
                code="store_data",
            ) from None

    def atomic(self) -> Any:
        """``transaction.atomic`` on this store's database: the callback processor runs
        your handler and the "done" mark inside it, so they commit together or not at all
        (exactly once for the handler's writes to this database)."""
        return transaction.atomic(using=self.alias)

    def schema_version(self) -> int:
        """The layout version of the tables the app's migrations create (``SCHEMA_VERSION``)."""
        return SCHEMA_VERSION

    def __repr__(self) -> str:
        return f"DjangoStore({self.alias!r})"
