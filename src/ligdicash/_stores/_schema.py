"""Versioned schemas: each component's tables (the store's, the payouts ledger's) and the
row that records its layout version in ``ligdicash_schema``, shared by SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from .._exceptions import ConfigurationError

__all__ = ["VERSION_QUERY", "Schema"]

#: Reads one component's recorded version (one ``?`` parameter: the component).
VERSION_QUERY = "SELECT version FROM ligdicash_schema WHERE component = ?"

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS ligdicash_schema "
    "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)


@dataclass(frozen=True)
class Schema:
    """One component's tables, created idempotently, and the version of their layout.

    Several components may share one database (one store URL for the callback tables and
    the ledger's): each has its own tables and its own row in ``ligdicash_schema``, so a
    later release can migrate one without touching the other.
    """

    component: str
    version: int
    tables: tuple[str, ...]
    #: ``(version, statements)``: what turns the layout of ``version - 1`` into
    #: ``version``, in order. :attr:`tables` is always the newest layout (a new database
    #: gets it at once); a database at an older version gets the steps above it.
    migrations: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def statements(self) -> list[str]:
        """The DDL (``IF NOT EXISTS``), then this component's version row if absent."""
        if not self.component.isidentifier():  # it is inlined below: our constants only
            raise ValueError(f"bad schema component name {self.component!r}")
        return [
            _VERSION_TABLE,
            *self.tables,
            "INSERT INTO ligdicash_schema (component, version) "  # noqa: S608
            f"VALUES ('{self.component}', {int(self.version)}) "
            "ON CONFLICT (component) DO NOTHING",
        ]

    def ensure(self, execute: Callable[..., Any], placeholder: str, where: str) -> None:
        """Create or migrate this component's tables through ``execute(sql[, params])`` (a
        connection's, inside one transaction that the caller holds exclusively: SQLite's
        ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock), then check the version.

        Raises:
            ConfigurationError: the recorded version is newer than :attr:`version`.
        """
        execute(_VERSION_TABLE)
        row = execute(VERSION_QUERY.replace("?", placeholder), (self.component,)).fetchone()
        found = self.version if row is None else int(row[0])
        self.check(row, where)
        # Older tables first get the steps they miss: the newest DDL (its indexes) may name
        # columns that only these steps add.
        for target, statements in self.migrations:
            if found < target <= self.version:
                for statement in statements:
                    execute(statement)
        for statement in self.statements():
            execute(statement)
        if row is not None and found < self.version:
            execute(
                "UPDATE ligdicash_schema SET version = "  # noqa: S608 - our constants only
                f"{int(self.version)} WHERE component = '{self.component}'"
            )

    def check(self, row: Optional[Any], where: str) -> None:
        """Refuse a database whose layout a newer ligdicash wrote.

        Raises:
            ConfigurationError: the recorded version is newer than :attr:`version`.
        """
        found = int(row[0]) if row is not None else self.version
        if found > self.version:
            raise ConfigurationError(
                f"the {self.component} tables at {where} have schema version {found}; this "
                f"ligdicash knows {self.version}: upgrade ligdicash"
            )
