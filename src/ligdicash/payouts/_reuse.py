"""A reference that an earlier batch of the account already holds: the earlier payment
(where it was, what became of it) and the refusal that names it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidRequestError
from .._wire import mask_phone

__all__ = ["EarlierPayment", "ReferenceReusedError"]


@dataclass(frozen=True)
class EarlierPayment:
    """An item of an earlier batch, as a refusal or a warning names it.

    Attributes:
        reference: its reference.
        batch_id: the batch that holds it.
        source: that batch's file (``""`` if it did not come from one).
        line: its line in that file (0 when unknown).
        status: where it is (``completed``, ``sent``, ``in_doubt``, ``pending``...).
        phone, amount: its recipient and amount.
        updated_at: when its status last changed (Unix time).
    """

    reference: str
    batch_id: str
    source: str
    line: int
    status: str
    phone: str
    amount: int
    updated_at: float

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> EarlierPayment:
        """From ``reference, batch_id, line, position, status, phone, amount, updated_at,
        source`` (position stands in for a line that was not recorded)."""
        line = int(row[2]) or int(row[3]) + 1
        return cls(
            reference=row[0],
            batch_id=row[1],
            source=row[8] or "",
            line=line,
            status=row[4],
            phone=row[5],
            amount=int(row[6]),
            updated_at=float(row[7]),
        )

    @property
    def where(self) -> str:
        """``batch b… (payouts.csv line 3, completed)``."""
        place = f"{os.path.basename(self.source)} line {self.line}" if self.source else ""
        place = place or f"item {self.line}"
        return f"batch {self.batch_id} ({place}, {self.status})"

    def __repr__(self) -> str:
        return (
            f"EarlierPayment(reference={self.reference!r}, batch_id={self.batch_id!r}, "
            f"line={self.line}, status={self.status!r}, phone={mask_phone(self.phone)!r}, "
            f"amount={self.amount})"
        )


class ReferenceReusedError(InvalidRequestError):
    """A batch repeats references that an earlier batch of the ledger already holds; nothing
    was recorded. A reference names one payment: an edited or copied file would pay these
    people again.

    Attributes:
        earlier: the earlier payments found (at most 5 are named in the message).
        count: how many references of the batch are taken.
    """

    default_code = "reference_reused"

    def __init__(self, message: str, *, earlier: Sequence[EarlierPayment] = (), count: int = 0):
        super().__init__(message)
        self.earlier = tuple(earlier)
        self.count = count

    @classmethod
    def about(
        cls, earlier: Sequence[EarlierPayment], *, count: int, ledger: str = ""
    ) -> ReferenceReusedError:
        """The refusal for ``earlier`` (``count`` references taken in all; ``ledger``: the
        ledger they were found in, when it is not the one the batch was meant for)."""
        first = earlier[0]
        shown = f"reference {first.reference!r} is already in {first.where}"
        if ledger:
            shown = f"{ledger}: {shown}"
        others = ", ".join(f"{e.reference!r} ({e.where})" for e in earlier[1:5])
        if others:
            shown += f"; so are {others}"
        if count > 5:
            shown += f" and {count - 5} more"
        return cls(
            f"{shown}. A reference names one payment: an edited or copied file would pay "
            "these people again. Remove these rows, or if they are new payments name each "
            "one: --allow-repeat REF (API: add_batch(batch, new_payments=[...]))",
            earlier=earlier,
            count=count,
        )
