"""The ledger's state machine and the rule that turns a send's error into an item's fate.

Both are pure: the ledger backends enforce :data:`TRANSITIONS` with conditional updates,
and the workers ask :func:`classify_error` what an error means for the item and the batch.

::

    pending ──claim──▶ sending ──answer──▶ sent (token) ──status──▶ completed
       ▲  │               │  │                                    └▶ failed
       │  └─cancel─▶ cancelled  └─refused (item's fault)─▶ failed
       │                  │
       ├── refused before it could pay (batch stops) / nothing left the machine
       │                  └─answer lost, or worker died mid-send─▶ in_doubt
       └──────────── operator: resolve --not-sent ◀───────────────┘
                     operator: resolve --sent TOKEN, or a callback ─▶ sent / completed / failed
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .._exceptions import (
    AmountOutOfRangeError,
    APIConnectionError,
    ApplicationAuthenticationError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    CustomerDoesNotExistError,
    DataInputError,
    InvalidAmountError,
    InvalidMethodError,
    InvalidRequestError,
    IpDeniedError,
    LigdicashError,
    MerchantAccountDoesNotExistError,
    MerchantBalanceLowError,
    MerchantPayoutDisabledError,
    NoNetworkAccessConfigurationError,
    ProcessingError,
    RecipientOperatorNotIdentifiedError,
    RequestRefusedError,
    UnauthorizedCurrencyConversionError,
    UnauthorizedMethodError,
)

__all__ = [
    "FINAL_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "Fate",
    "SendOutcome",
    "check_transition",
    "classify_error",
]

PENDING, SENDING, SENT, COMPLETED, FAILED, CANCELLED, IN_DOUBT = (
    "pending",
    "sending",
    "sent",
    "completed",
    "failed",
    "cancelled",
    "in_doubt",
)
STATUSES = (PENDING, SENDING, SENT, IN_DOUBT, COMPLETED, FAILED, CANCELLED)
FINAL_STATUSES = (COMPLETED, FAILED, CANCELLED)

#: Every move the ledger allows; anything else is a bug or a race lost, and is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    PENDING: (SENDING, CANCELLED),
    # sending -> pending only when LigdiCash certainly did not take the payout.
    SENDING: (SENT, FAILED, IN_DOUBT, PENDING, COMPLETED),
    SENT: (COMPLETED, FAILED),
    # Never back to sending by itself: only an operator's --not-sent re-opens it.
    IN_DOUBT: (SENT, PENDING, COMPLETED, FAILED),
    COMPLETED: (),
    FAILED: (),
    CANCELLED: (),
}


class LedgerStateError(LigdicashError):
    """A move the ledger's state machine does not allow (e.g. re-sending an in-doubt item)."""

    default_code = "ledger_state"


def check_transition(current: str, new: str) -> None:
    """Raise :class:`LedgerStateError` unless ``current → new`` is an allowed move."""
    if new not in TRANSITIONS.get(current, ()):
        raise LedgerStateError(f"an item cannot go from {current!r} to {new!r}")


class Fate(enum.Enum):
    """What a send's error means for the item."""

    #: LigdiCash refused this payout for a reason of its own (unknown customer, amount...).
    FAILED = "failed"
    #: LigdiCash refused for a reason that will refuse every other item too: stop the batch,
    #: the item goes back to ``pending`` (the refusal proves nothing was paid).
    STOP = "stop"
    #: Nothing left the machine (connection refused): back to ``pending``, retried later.
    RETRY = "retry"
    #: The request may have reached LigdiCash: ``in_doubt``, never re-sent automatically.
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True)
class SendOutcome:
    """The fate of a send that raised, with what to record."""

    fate: Fate
    code: str
    message: str


# Refusals that are about the account, not the item: every other item would get the same.
_STOP_REFUSALS: tuple[type[LigdicashError], ...] = (
    AuthenticationError,
    ApplicationAuthenticationError,
    IpDeniedError,
    MerchantPayoutDisabledError,
    MerchantBalanceLowError,
    NoNetworkAccessConfigurationError,
    UnauthorizedMethodError,
    InvalidMethodError,
    UnauthorizedCurrencyConversionError,
)
# Refusals that name this item's data: the item failed, the batch goes on.
_ITEM_REFUSALS: tuple[type[LigdicashError], ...] = (
    CustomerDoesNotExistError,
    InvalidAmountError,
    AmountOutOfRangeError,
    RecipientOperatorNotIdentifiedError,
    MerchantAccountDoesNotExistError,
    DataInputError,
    ProcessingError,
)


def classify_error(exc: BaseException) -> SendOutcome:
    """Decide what a payout send's error means (pure; see :class:`Fate`).

    A refusal that is neither about the account nor clearly about the item (a repeated
    ``transaction_id``, ``SendingError``, an unknown code) is ``IN_DOUBT``: a repeated
    transaction_id means a payout with this item's id exists, and "failed while sending to
    the operator" does not say the money did not move. Any other error is ``IN_DOUBT``
    unless it is a network failure (``APIConnectionError``) whose
    ``request_may_have_been_sent`` is False: an HTTP status or an unreadable answer always
    means the request reached LigdiCash.
    """
    if isinstance(exc, (ConfigurationError, ClientClosedError)):
        return SendOutcome(Fate.STOP, _code(exc), _message(exc))
    if isinstance(exc, _STOP_REFUSALS):
        return SendOutcome(Fate.STOP, _code(exc), _message(exc))
    if isinstance(exc, _ITEM_REFUSALS):
        return SendOutcome(Fate.FAILED, _code(exc), _message(exc))
    if isinstance(exc, InvalidRequestError) and not isinstance(exc, RequestRefusedError):
        # Refused by the SDK before sending: the item's data is bad.
        return SendOutcome(Fate.FAILED, _code(exc), _message(exc))
    if isinstance(exc, RequestRefusedError):
        return SendOutcome(Fate.IN_DOUBT, _code(exc), _message(exc))
    # Only a network failure can prove nothing left the machine (the pipeline decides it
    # from what httpcore reports it wrote); an HTTP status or an unreadable answer means
    # LigdiCash received the request, whatever the error's flag says.
    if isinstance(exc, APIConnectionError) and not exc.request_may_have_been_sent:
        return SendOutcome(Fate.RETRY, _code(exc), _message(exc))
    return SendOutcome(Fate.IN_DOUBT, _code(exc), _message(exc))


def _code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, LigdicashError) else type(exc).__name__


def _message(exc: BaseException) -> str:
    if isinstance(exc, RequestRefusedError) and exc.response_text:
        details = f": {exc.response_text_details}" if exc.response_text_details else ""
        return f"{type(exc).__name__} ({exc.response_text}){details}"[:500]
    if isinstance(exc, LigdicashError):
        return f"{type(exc).__name__}: {exc.message}"[:500]
    # Not our error: the class name only (its text could hold anything).
    return type(exc).__name__
