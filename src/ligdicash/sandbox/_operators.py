"""The sandbox's mobile-money operators and its table of test phone numbers.

Numbers are written as LigdiCash wants them: country code first, no ``+`` and no spaces.

=================  ==================  ==================================================
number             operator            behaviour
=================  ==================  ==================================================
``2267xxxxxxx``    Orange Money (OTP)  direct payin: OTP ``123456`` completes, ``999999``
                                       is declined (``nocompleted``), any other OTP stays
                                       ``pending`` forever, an empty OTP is refused
``2266xxxxxxx``    Moov Africa         direct payin with ``otp=""``: the customer approves
                   (approval)          in the app, completed after ``approval_delay``
``22660000009``    Moov Africa         the customer declines: ``nocompleted``
``22670000404``    Orange Money        no LigdiCash account: client payout Code02
``22670000500``    Orange Money        payouts are accepted, then fail (``nocompleted``,
                                       the balance is refunded)
anything else      none                direct payin refused, merchant payout Code05,
                                       client payout Code02
=================  ==================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OperatorMode = Literal["otp", "approval"]


@dataclass(frozen=True)
class Operator:
    """A mobile-money operator: how LigdiCash names it and how its customers confirm."""

    id: str
    name: str
    mode: OperatorMode
    prefix: str


ORANGE = Operator("OMBF", "Orange Money", "otp", "2267")
MOOV = Operator("MOOVBF", "Moov Africa", "approval", "2266")
OPERATORS: tuple[Operator, ...] = (ORANGE, MOOV)
OPERATORS_BY_ID = {op.id: op for op in OPERATORS}

VALID_OTP = "123456"
DECLINED_OTP = "999999"
APPROVAL_DECLINED = "22660000009"
NOT_A_CUSTOMER = "22670000404"
PAYOUT_FAILS = "22670000500"


def normalise_number(number: object) -> str:
    """The digits of a phone number (drops ``+``, spaces and dashes); '' if not a string."""
    if not isinstance(number, (str, int)) or isinstance(number, bool):
        return ""
    text = str(number).strip()
    return "".join(ch for ch in text if ch.isdigit())


def operator_for(number: str) -> Operator | None:
    """The operator serving ``number``, or None when no operator is known for it."""
    for operator in OPERATORS:
        if number.startswith(operator.prefix) and len(number) == 11:
            return operator
    return None


def is_ligdicash_customer(number: str) -> bool:
    """Whether ``number`` has a LigdiCash account (needed for client payouts)."""
    return operator_for(number) is not None and number != NOT_A_CUSTOMER
