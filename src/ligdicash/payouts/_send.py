"""What to do with one claimed item, as a sans-IO generator: send it, record what became of it.

:func:`send_item` yields ``ligdicash._drive``'s effects: a ``Blocking`` call of the
withdrawal's ``send`` and of the ledger's moves, and a ``Call`` of ``halt`` (stop every
sender of the run; the engine's, run on its event loop). :class:`~._slots.SendSlots` drives
it with :func:`ligdicash._drive.adrive`, one item per slot; :func:`ligdicash._drive.drive`
runs the very same decision blocking, with a ``Client``.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .._drive import Blocking, Call, Effect
from .._wire import short_token
from ._ledger import Ledger
from ._records import LedgerItem
from ._states import FAILED, IN_DOUBT, PENDING, SENDING, SENT, Fate, SendOutcome, classify_error

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = ["ANSWERABLE", "send_item"]

logger = logging.getLogger("ligdicash.payouts")

#: Where an item may be when its answer comes back: ``sending``, or ``in_doubt`` when its
#: worker was paused long enough for another host to presume it dead. The answer is then
#: still the best evidence there is, and every move it makes from ``in_doubt`` is allowed.
ANSWERABLE = [SENDING, IN_DOUBT]

#: ``halt(kind, detail)``: stop every sender of the run now (``kind`` as in
#: :attr:`~._records.RunResult.stopped`).
Halt = Callable[[str, str], None]


def _no_halt(kind: str, detail: str) -> None:
    """A blocking caller has no other sender to stop."""


def send_item(
    ledger: Ledger,
    client: Union[Client, AsyncClient],
    item: LedgerItem,
    batch_id: str,
    callback_url: str,
    *,
    halt: Halt = _no_halt,
) -> Generator[Effect, Any, Optional[SendOutcome]]:
    """Send one claimed (``sending``) item with ``client`` and record in ``ledger`` what
    became of it, as effects.

    Returns None when LigdiCash answered with a token (the item is ``sent``), else the
    :class:`SendOutcome` of the error, already recorded: ``failed``; ``in_doubt`` (never
    re-sent); back to ``pending`` after a refusal about the account (``halt`` is called
    first, and the batch is paused) or when nothing left the machine.
    """
    try:
        withdrawal = client.Withdrawal(item.description, item.amount, item.phone)
        response = yield Blocking(
            withdrawal.send,
            type=item.type,
            to_wallet=item.to_wallet,
            callback_url=callback_url,
            custom_data={"transaction_id": item.id},
        )
    except Exception as exc:
        outcome = classify_error(exc)
        yield from _record_error(ledger, item, batch_id, outcome, halt)
        return outcome
    if response.token:
        moved = yield Blocking(ledger.move, item.id, SENT, expect=ANSWERABLE, token=response.token)
        if not moved:
            # Settled meanwhile (a status call, an operator): the token is still worth a line.
            logger.warning(
                "payout %s: LigdiCash's token %s came back after the item left sending",
                item.id,
                short_token(response.token),
            )
    else:
        yield Blocking(
            ledger.move,
            item.id,
            IN_DOUBT,
            expect=[SENDING],
            error_code="no_token",
            error="LigdiCash accepted the payout but sent no token",
        )
    return None


def _record_error(
    ledger: Ledger, item: LedgerItem, batch_id: str, outcome: SendOutcome, halt: Halt
) -> Generator[Effect, Any, None]:
    code, message = outcome.code, outcome.message
    if outcome.fate is Fate.FAILED:
        yield Blocking(
            ledger.move, item.id, FAILED, expect=ANSWERABLE, error_code=code, error=message
        )
    elif outcome.fate is Fate.IN_DOUBT:
        # Already in_doubt if its worker was presumed dead meanwhile: nothing to change.
        yield Blocking(
            ledger.move, item.id, IN_DOUBT, expect=[SENDING], error_code=code, error=message
        )
    elif outcome.fate is Fate.STOP:
        # Every other sender stops claiming before this refusal is even written down.
        yield Call(halt, "paused", message)
        # The refusal proves nothing was paid: the item waits for the next run.
        yield Blocking(
            ledger.move, item.id, PENDING, expect=ANSWERABLE, error_code=code, error=message
        )
        yield Blocking(ledger.set_paused, batch_id, message)
    else:
        yield Blocking(
            ledger.move, item.id, PENDING, expect=ANSWERABLE, error_code=code, error=message
        )
