"""The sandbox's mobile-money operators and its table of test phone numbers.

Ids, names, validation modes and minimum amounts are the provider's, from its
supported-operators table (https://developers.ligdicash.com/en/reference/supported-operators
and the operator pages it links to); docs/wire-contract.md quotes them with their sources.
Phone prefixes are the sandbox's own choice (the provider publishes none): numbers are
written as LigdiCash wants them, country code first, no ``+`` and no spaces.

How a sandbox operator behaves follows its documented validation mode:

- ``otp`` (USSD OTP, Orange Burkina): the customer's OTP comes with the request; ``123456``
  completes, ``999999`` is declined (``nocompleted``), any other OTP stays ``pending``
  forever, an empty OTP is refused;
- ``approval`` (USSD Push, Guided USSD): ``otp=""``; the customer approves on the phone,
  completed after ``approval_delay`` (``22660000009`` declines);
- ``redirect`` (Operator redirect, LigdiCash redirect): ``otp=""``; the answer's
  ``response_text`` is a URL to send the customer to (here the sandbox's own page, which
  offers that operator only); the payment completes when the customer pays there.

Special numbers (Burkina Faso):

=================  ======================================================================
``22670000404``    no LigdiCash account: client payout Code02
``22670000500``    payouts are accepted, then fail (``nocompleted``, the balance is refunded)
anything unknown   direct payin refused, merchant payout Code05, client payout Code02
=================  ======================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OperatorMode = Literal["otp", "approval", "redirect"]

#: The provider's widest amount range (createInvoice ``Echec (Code02)``: "Wrong amount (must
#: be between 9 and 2,000,000)"); operators' minimums sit inside it.
MIN_AMOUNT = 9
MAX_AMOUNT = 2_000_000


@dataclass(frozen=True)
class Operator:
    """A mobile-money operator as LigdiCash names it, and how its customers confirm.

    ``id`` and ``name`` are what status answers and callbacks carry (``operator_id``,
    ``operator_name``); ``validation`` is the provider's name of the validation mode and
    ``mode`` the sandbox behaviour that plays it; ``minimum`` is the operator's documented
    minimum amount (XOF); ``prefix`` and ``length`` select the sandbox's test numbers.
    """

    id: str
    name: str
    mode: OperatorMode
    prefix: str
    country: str = ""
    validation: str = ""
    minimum: int = MIN_AMOUNT
    length: int = 11


# The LigdiCash Wallet (its own endpoints): the legacy wire's names; the documented wire
# spells it operator_id "-", operator_name "LIGDICASH" (docs/wire-contract.md, [ops] and
# [wallet]; sandbox/_documented.py).
WALLET = Operator("LIGDICASH", "LigdiCash Wallet", "approval", "")
DOCUMENTED_WALLET = ("-", "LIGDICASH")

# The supported-operators table, in its order (the LigdiCash Wallet has its own endpoints).
MTN_BENIN = Operator("1", "MTN BENIN", "approval", "22996", "Benin", "USSD Push", 100)
MOOV_BENIN = Operator("2", "MOOV BENIN", "approval", "22995", "Benin", "USSD Push", 100)
ORANGE = Operator("11", "ORANGE BURKINA", "otp", "2267", "Burkina Faso", "USSD OTP", 10)
MOOV = Operator("12", "MOOV AFRICA BURKINA", "approval", "2266", "Burkina Faso", "USSD Push", 100)
ORANGE_CI = Operator(
    "16", "ORANGE CI", "redirect", "22507", "Côte d'Ivoire", "Operator redirect", 10, 13
)
MOOV_CI = Operator("14", "MOOV CI", "approval", "22501", "Côte d'Ivoire", "USSD Push", 100, 13)
MTN_CI = Operator("15", "MTN CI", "approval", "22505", "Côte d'Ivoire", "Guided USSD", 10, 13)
ORANGE_GUINEA = Operator(
    "33", "ORANGE GUINEE", "redirect", "22462", "Guinea", "LigdiCash redirect", 200, 12
)
MTN_GUINEA = Operator(
    "51", "MTN GUINEE", "redirect", "22466", "Guinea", "LigdiCash redirect", 200, 12
)
ORANGE_MALI = Operator("18", "ORANGE MALI", "redirect", "2237", "Mali", "Operator redirect", 100)
AIRTEL_NIGER = Operator("27", "AIRTEL NIGER", "approval", "2279", "Niger", "USSD Push", 10)
ZAMANI_NIGER = Operator("28", "ORANGE/ZAMANI NIGER", "approval", "2278", "Niger", "Guided USSD", 10)
# No minimum in the table for Moov Niger: the provider's overall minimum applies.
MOOV_NIGER = Operator("29", "MOOV AFRICA NIGER", "approval", "2276", "Niger", "USSD Push")
# Our copy of the table is cut after "ORANGE R" on this row: "ORANGE RDC" is our reading;
# its validation mode and minimum are not in our copy (approval and the overall minimum here).
ORANGE_DRC = Operator("34", "ORANGE RDC", "approval", "24389", "DR Congo", "", MIN_AMOUNT, 12)

OPERATORS: tuple[Operator, ...] = (
    ORANGE,
    MOOV,
    MTN_BENIN,
    MOOV_BENIN,
    ORANGE_CI,
    MOOV_CI,
    MTN_CI,
    ORANGE_GUINEA,
    MTN_GUINEA,
    ORANGE_MALI,
    AIRTEL_NIGER,
    ZAMANI_NIGER,
    MOOV_NIGER,
    ORANGE_DRC,
)
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
        if number.startswith(operator.prefix) and len(number) == operator.length:
            return operator
    return None


def is_ligdicash_customer(number: str) -> bool:
    """Whether ``number`` has a LigdiCash account (needed for client payouts)."""
    return operator_for(number) is not None and number != NOT_A_CUSTOMER
