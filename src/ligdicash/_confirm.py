"""Confirming a callback: the status call with the stored token, then every comparison.

The rule this module enforces: never act on a callback alone. Fetch the status with the
token *stored at creation* (the callback's own token is empty for a payin, different for a
payout, and proves nothing) and
act only when the answer agrees with the callback and with your records on status, amount
and ``custom_data``. The comparisons are pure (:func:`check_confirmation`); the sync and
async clients only differ in how they fetch the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

from ._callbacks import Callback
from ._exceptions import CallbackMismatchError, InvalidRequestError
from ._models import Transaction
from ._operations import TransactionType
from ._wire import text

__all__ = ["check_confirmation", "check_confirmation_inputs"]


def check_confirmation_inputs(callback: Optional[Callback], token: str) -> None:
    """Refuse the classic mistake before anything is sent: confirming with the callback's token.

    Raises:
        InvalidRequestError: ``token`` is the callback's token.
    """
    if callback is not None and isinstance(token, str) and token and token == callback.token:
        raise InvalidRequestError(
            "token is the callback's token; confirm with the token returned at creation "
            "(the callback's token is different and cannot prove anything)",
            operation="confirm_callback",
        )


def _comparable(value: Any, depth: int = 0) -> Any:
    """A value as text leaves, so ``5``, ``"5"`` and ``5.0`` compare equal across encodings.

    A string holding a JSON object or list (how the list-of-records shape carries nested
    values) is read back, so it compares equal to the form encoding's nested keys.
    """
    if depth > 20:
        return text(value)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return value
    if isinstance(value, Mapping):
        return {str(k): _comparable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # The form encoding numbers list items as keys "0", "1", ...
        return {str(i): _comparable(v, depth + 1) for i, v in enumerate(value)}
    if isinstance(value, bool):
        return "1" if value else "0"
    return text(value)


def _mismatch(field: str, message: str, transaction: Transaction) -> CallbackMismatchError:
    return CallbackMismatchError(
        message, field=field, transaction=transaction, operation="confirm_callback"
    )


def check_confirmation(
    transaction: Transaction,
    callback: Optional[Callback] = None,
    *,
    expected_amount: Optional[int] = None,
    expected_transaction_id: Optional[str] = None,
    type: TransactionType = "payin",
) -> Transaction:
    """Return ``transaction`` when it confirms ``callback`` and your expectations.

    ``transaction`` is what the status call (with the stored creation token) returned. The
    checks, in order: the status equals the callback's; the amount equals
    ``expected_amount`` and the callback's amount; ``custom_data["transaction_id"]`` equals
    ``expected_transaction_id``; ``custom_data`` equals the callback's, key for key (a key
    on either side only is a mismatch). ``callback`` may be ``None`` (polling): then only
    your expectations are compared. Values of ``custom_data`` compare as text (``5``
    equals ``"5"``), so the JSON and form copies agree.

    ``type`` is the transaction's kind. For a payout (``"client_payout"``,
    ``"merchant_payout"``) only what the status answer carries is compared: the documented
    payout status answer has no ``amount`` and ``custom_data`` "Always []", so the status
    may be all there is to check (the token you stored, which found it, binds it to your
    payout); an amount or ``custom_data`` that IS present and differs still raises. A
    payin's status answer is documented with both, so there a missing amount or
    ``transaction_id`` you expect is a mismatch. The records LigdiCash adds to
    ``custom_data`` (``hash``, ``logfile``) are never compared.

    Raises:
        CallbackMismatchError: ``.field`` names the first disagreement; the message says
            what was expected without echoing ``custom_data`` values.
    """
    if callback is not None and transaction.status != callback.status:
        raise _mismatch(
            "status",
            f"the callback says {callback.status!r} but the status call says "
            f"{transaction.status!r}",
            transaction,
        )
    # A payout's status answer carries no amount (documented): it confirms the status only.
    payout = type != "payin"
    has_amount = transaction.amount is not None or not payout
    if has_amount and expected_amount is not None and transaction.amount != expected_amount:
        raise _mismatch(
            "amount",
            f"the status call reports amount {transaction.amount!r}, expected {expected_amount!r}",
            transaction,
        )
    if (
        has_amount
        and callback is not None
        and callback.amount is not None
        and transaction.amount != callback.amount
    ):
        raise _mismatch(
            "amount",
            f"the callback says amount {callback.amount!r} but the status call says "
            f"{transaction.amount!r}",
            transaction,
        )
    if (
        not has_amount
        and callback is not None
        and callback.amount is not None
        and expected_amount is not None
        and callback.amount != expected_amount
    ):
        # The answer cannot say which amount was paid: a callback that contradicts what
        # was sent is not confirmed by it (the status alone may still settle the payout).
        raise _mismatch(
            "amount",
            f"the callback says amount {callback.amount!r}, expected {expected_amount!r} "
            "(the status answer carries no amount)",
            transaction,
        )
    # A payout's empty custom_data ("Always []") carries nothing to compare; an answer
    # that carries keys must carry yours.
    if expected_transaction_id is not None and (transaction.custom_data or not payout):
        actual = transaction.custom_data.get("transaction_id")
        if actual is None or _comparable(actual) != _comparable(expected_transaction_id):
            raise _mismatch(
                "transaction_id",
                "custom_data['transaction_id'] from the status call is not the expected one",
                transaction,
            )
    # Either side having custom_data means both must (for a payout: when both carry
    # some): a status answer with keys the callback lacks, or the reverse, is not the
    # event it claims to be.
    if payout:
        compare = bool(callback is not None and callback.custom_data and transaction.custom_data)
    else:
        compare = bool(callback is not None and (callback.custom_data or transaction.custom_data))
    if callback is not None and compare:
        claimed = _comparable(callback.custom_data)
        actual_data = _comparable(transaction.custom_data)
        if claimed != actual_data:
            keys = sorted(
                k
                for k in set(claimed) | set(actual_data)
                if claimed.get(k, None) != actual_data.get(k, None)
            )
            raise _mismatch(
                "custom_data",
                f"the callback's custom_data differs from the status call's on keys {keys!r}",
                transaction,
            )
    return transaction
