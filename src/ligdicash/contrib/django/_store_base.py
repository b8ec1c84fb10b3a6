"""The base of the Django ORM store: the alias, error mapping, atomic inserts and leases."""

from __future__ import annotations

import time
from typing import Any, Callable

from django.db import (  # type: ignore[import-untyped,unused-ignore]
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import Q  # type: ignore[import-untyped,unused-ignore]

from ..._exceptions import StoreUnavailableError
from ..._stores._base import (
    Store,
)

__all__ = ["DjangoBase"]


def _claimable(now: float) -> Any:
    return Q(state="pending") | Q(state="processing", lease_until__lte=now)


class DjangoBase(Store):
    """What the Django store's parts share: the alias, the clock, error mapping, inserts
    that tell a duplicate key, and leasing rows (under SKIP LOCKED where available).

    Needs ``"ligdicash.contrib.django"`` in ``INSTALLED_APPS`` and ``migrate``. When the
    alias is PostgreSQL, every host of the project shares it.

    Args:
        alias: the ``DATABASES`` entry to use (default ``"default"``).
        clock: seconds since the epoch; injectable to test lease expiry.
    """

    def __init__(self, alias: str = "default", *, clock: Callable[[], float] = time.time) -> None:
        self.alias = alias
        self._clock = clock

    def _q(self, model: Any) -> Any:
        return model.objects.using(self.alias)

    def _call(self, function: Callable[[], Any]) -> Any:
        try:
            return function()
        except (OperationalError, InterfaceError) as exc:
            connection = connections[self.alias]
            if not connection.in_atomic_block:  # a dead connection: the next call reconnects
                connection.close_if_unusable_or_obsolete()
            raise StoreUnavailableError(
                f"the Django store (database {self.alias!r}) is unavailable: "
                f"{type(exc).__name__}: {str(exc)[:200]}",
                code="store_unavailable",
            ) from None

    def _insert(self, model: Any, **values: Any) -> bool:
        """Insert a row; False when its key exists (the savepoint keeps any outer
        transaction usable)."""
        try:
            with transaction.atomic(using=self.alias):
                self._q(model).create(**values)
        except IntegrityError:
            return False
        return True

    def atomic(self) -> Any:
        """``transaction.atomic`` on this store's database: the callback processor runs
        your handler and the "done" mark inside it, so they commit together or not at all
        (exactly once for the handler's writes to this database)."""
        return transaction.atomic(using=self.alias)

    def _skip_locked(self) -> bool:
        return bool(connections[self.alias].features.has_select_for_update_skip_locked)

    def _lease_rows(
        self, model: Any, candidates: Any, limit: int, condition: Any, **changes: Any
    ) -> int:
        """Lease up to ``limit`` rows of ``candidates``: under SKIP LOCKED where the database
        has it, else by the conditional UPDATE alone. Returns how many were leased."""
        if self._skip_locked():
            with transaction.atomic(using=self.alias):
                keys = list(
                    candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[
                        :limit
                    ]
                )
                return int(self._q(model).filter(condition, pk__in=keys).update(**changes))
        keys = list(candidates.values_list("pk", flat=True)[:limit])
        return int(self._q(model).filter(condition, pk__in=keys).update(**changes))

    def __repr__(self) -> str:
        return f"DjangoStore({self.alias!r})"
