"""The values a callback flow exchanges with your code: what you stored, what became of it.

:class:`ExpectedTransaction` is what your lookup returns; :class:`ProcessResult` is what
:class:`~ligdicash.contrib.CallbackProcessor` reports for each callback; :func:`event_key`
is the idempotency key both the callback path and the polling fallback use.

They live in the core because three layers share them: the clients' payment registry
(``registry_lookup`` returns an ``ExpectedTransaction``), the callback processor
(``ligdicash.contrib``, their documented import path) and the reconciler.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional, Union

from ._callbacks import Callback
from ._models import Transaction
from ._operations import TransactionType
from ._wire import short_token

__all__ = [
    "ExpectedTransaction",
    "Lookup",
    "Outcome",
    "ProcessResult",
    "TransactionHandler",
    "event_key",
]

Outcome = Literal[
    "processed", "duplicate", "in_progress", "refused", "unconfirmed", "failed", "ignored"
]


@dataclass(frozen=True)
class ExpectedTransaction:
    """What you stored when you created the transaction, returned by your lookup.

    Attributes:
        token: the token returned at creation (``response.token``), never the callback's.
        amount: the amount you charged, in francs; compared with the status call's.
            Required on purpose (pass ``None`` only if you really cannot know it).
        transaction_id: your ``custom_data["transaction_id"]``; compared when given.
        type: ``"payin"`` (default), ``"client_payout"`` or ``"merchant_payout"``.
    """

    token: str
    amount: Optional[int]
    transaction_id: Optional[str] = None
    type: TransactionType = "payin"

    def __repr__(self) -> str:
        return (
            f"ExpectedTransaction(token={short_token(self.token)!r}, amount={self.amount!r}, "
            f"transaction_id={self.transaction_id!r}, type={self.type!r})"
        )


@dataclass(frozen=True)
class ProcessResult:
    """What became of one callback (or one polling check).

    ``outcome``:

    * ``processed``: confirmed, your handler ran and returned, the key is done;
    * ``duplicate``: this event was already processed (the other copy, or polling);
    * ``in_progress``: another worker still held the event after ``busy_wait`` (longer
      than a status call with its retries: it is running the handler, or it died and the
      event is claimable again when its lease ends);
    * ``refused``: unreadable body, bad hash, unknown transaction, or the status call
      contradicts the callback (``reason`` = ``"mismatch:<field>"``); nothing ran;
    * ``unconfirmed``: the status call failed (timeout, network, 5xx), outlasted the
      claim's lease (``reason="lease_expired"``) or, when polling, the transaction is not
      final yet; the event stays claimable;
    * ``failed``: your lookup or handler raised, the store failed, or there is no client
      to confirm with (``reason`` is the ``ConfigurationError``'s code); claimable again;
    * ``ignored``: a callback with a non-final status.
    """

    outcome: Outcome
    reason: str = ""
    key: str = ""
    transaction: Optional[Transaction] = None

    @property
    def ok(self) -> bool:
        """True for ``processed`` and ``duplicate``: nothing is left to do."""
        return self.outcome in ("processed", "duplicate")


Lookup = Callable[
    [Callback], Union[Optional[ExpectedTransaction], Awaitable[Optional[ExpectedTransaction]]]
]
TransactionHandler = Callable[[Transaction], Any]


def event_key(expected: ExpectedTransaction, status: str) -> str:
    """The idempotency key of an event: transaction type, hashed creation token, status."""
    digest = hashlib.sha256(expected.token.encode("utf-8")).hexdigest()[:40]
    return f"{expected.type}:{digest}:{status}"
