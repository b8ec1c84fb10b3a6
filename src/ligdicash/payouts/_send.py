"""What to do with one claimed item, as a sans-IO generator: send it, record what became of it.

:func:`send_item` yields the effects of :mod:`._effects` (the payout request, the ledger's
moves) and :class:`Halt`, the one effect only the engine performs (stop every sender of the
run). :class:`~._runner.BatchRunner` drives it with :func:`ligdicash._drive.adrive`, one
item per slot; :func:`ligdicash._drive.drive` with :func:`._effects.performer` runs the very
same decision blocking.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Optional, Union

from .._wire import short_token
from ._effects import Effect, LedgerCall, SendPayout
from ._records import LedgerItem
from ._states import FAILED, IN_DOUBT, PENDING, SENDING, SENT, Fate, SendOutcome, classify_error

__all__ = ["ANSWERABLE", "Halt", "send_item"]

logger = logging.getLogger("ligdicash.payouts")

#: Where an item may be when its answer comes back: ``sending``, or ``in_doubt`` when its
#: worker was paused long enough for another host to presume it dead. The answer is then
#: still the best evidence there is, and every move it makes from ``in_doubt`` is allowed.
ANSWERABLE = [SENDING, IN_DOUBT]


@dataclass(frozen=True)
class Halt:
    """An effect of :func:`send_item`: stop every sender of the run now (``kind`` as in
    :attr:`~._records.RunResult.stopped`), before the refusal is even recorded."""

    kind: str
    detail: str


def send_item(
    item: LedgerItem, batch_id: str, callback_url: str
) -> Generator[Union[Effect, Halt], Any, Optional[SendOutcome]]:
    """Send one claimed (``sending``) item and record what became of it, as effects.

    Returns None when LigdiCash answered with a token (the item is ``sent``), else the
    :class:`SendOutcome` of the error, already recorded: ``failed``; ``in_doubt`` (never
    re-sent); back to ``pending`` after a refusal about the account (a :class:`Halt` is
    yielded first, and the batch is paused) or when nothing left the machine.
    """
    try:
        response = yield SendPayout(item, callback_url)
    except Exception as exc:
        outcome = classify_error(exc)
        yield from _record_error(item, batch_id, outcome)
        return outcome
    if response.token:
        moved = yield LedgerCall(
            "move", (item.id, SENT), {"expect": ANSWERABLE, "token": response.token}
        )
        if not moved:
            # Settled meanwhile (a status call, an operator): the token is still worth a line.
            logger.warning(
                "payout %s: LigdiCash's token %s came back after the item left sending",
                item.id,
                short_token(response.token),
            )
    else:
        yield LedgerCall(
            "move",
            (item.id, IN_DOUBT),
            {
                "expect": [SENDING],
                "error_code": "no_token",
                "error": "LigdiCash accepted the payout but sent no token",
            },
        )
    return None


def _record_error(
    item: LedgerItem, batch_id: str, outcome: SendOutcome
) -> Generator[Union[Effect, Halt], Any, None]:
    error = {"expect": ANSWERABLE, "error_code": outcome.code, "error": outcome.message}
    if outcome.fate is Fate.FAILED:
        yield LedgerCall("move", (item.id, FAILED), error)
    elif outcome.fate is Fate.IN_DOUBT:
        # Already in_doubt if its worker was presumed dead meanwhile: nothing to change.
        yield LedgerCall("move", (item.id, IN_DOUBT), {**error, "expect": [SENDING]})
    elif outcome.fate is Fate.STOP:
        # Every other sender stops claiming before this refusal is even written down.
        yield Halt("paused", outcome.message)
        # The refusal proves nothing was paid: the item waits for the next run.
        yield LedgerCall("move", (item.id, PENDING), error)
        yield LedgerCall("set_paused", (batch_id, outcome.message))
    else:
        yield LedgerCall("move", (item.id, PENDING), error)
