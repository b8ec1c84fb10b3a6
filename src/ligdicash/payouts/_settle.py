"""Settling ``sent`` items: by status polling, and by callbacks confirmed with a status call.

A callback is never proof. For an item whose creation token the ledger has, the callback
only triggers :meth:`Client.confirm_callback` with that token, and the *status call* settles
the item. For an ``in_doubt`` item (the answer with the token was lost) there is no token to
ask with: a callback whose ``hash`` verifies against the account's credentials, whose
``custom_data["transaction_id"]`` names the item, and whose amount and number match it,
is what LigdiCash alone could have sent; it resolves the item and says so in
``resolution`` (``"callback (hash verified; no token to confirm)"``). Without valid
credentials or hash, the item stays ``in_doubt`` for an operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .._callbacks import parse_callback
from .._exceptions import CallbackMismatchError, InvalidCallbackError, LigdicashError
from .._models import Transaction
from ._ledger import Ledger
from ._ledger_base import EVIDENCE_RESOLUTION
from ._records import LedgerItem
from ._states import COMPLETED, FAILED, FINAL_STATUSES, IN_DOUBT, SENDING

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["CallbackOutcome", "apply_callback", "poll_sent"]

logger = logging.getLogger("ligdicash.payouts")


def _final_status(tx: Transaction) -> Optional[str]:
    if tx.is_completed:
        return COMPLETED
    if tx.is_cancelled:
        return FAILED
    return None


def _disagreement(item: LedgerItem, tx: Transaction) -> str:
    """Why ``tx`` cannot be this item's payout ("" when it can)."""
    sent_id = tx.custom_data.get("transaction_id")
    if sent_id not in (None, "") and str(sent_id) != item.id:
        return f"the status call names transaction_id {sent_id!r}, not {item.id!r}"
    if tx.amount is not None and tx.amount != item.amount:
        return f"the status call says amount {tx.amount}, the ledger {item.amount}"
    return ""


def settle_from_transaction(ledger: Ledger, item: LedgerItem, tx: Transaction, how: str) -> bool:
    """Record ``tx``'s final status on ``item`` if it is final and agrees; True if settled."""
    final = _final_status(tx)
    if final is None:
        return False
    problem = _disagreement(item, tx)
    if problem:
        logger.error("payout %s not settled: %s", item.id, problem)
        return False
    return ledger.settle(item.id, final, resolution=how if item.status == IN_DOUBT else "")


def poll_sent(
    ledger: Ledger,
    client: Client,
    batch_id: str,
    *,
    interval: float,
    concurrency: int = 4,
    limit: int = 200,
) -> int:
    """Ask for the status of up to ``limit`` of the batch's ``sent`` items not asked for
    in the last ``interval`` seconds (those asked longest ago first).

    Returns how many items became final. Errors of single status calls are kept for the
    next round (the item stays ``sent``).
    """
    due = ledger.due_for_poll(batch_id, interval, limit)
    settled = 0
    for kind in ("client_payout", "merchant_payout"):
        group = [item for item in due if item.status_type == kind]
        if not group:
            continue
        results = client.get_transactions(
            [item.token for item in group], kind, concurrency=concurrency
        )
        ledger.mark_polled([item.id for item in group])
        finals: list[tuple[str, str]] = []
        for item, result in zip(group, results):
            tx = result.transaction
            final = None if tx is None else _final_status(tx)
            if tx is None or final is None:
                continue
            problem = _disagreement(item, tx)
            if problem:
                logger.error("payout %s not settled: %s", item.id, problem)
            else:
                finals.append((item.id, final))
        settled += ledger.settle_many(finals)
    return settled


@dataclass(frozen=True)
class CallbackOutcome:
    """What a callback did to the ledger.

    Attributes:
        item_id: the ledger item the callback names ("" if none).
        status: the item's status afterwards ("" if unknown).
        action: ``"settled"``, ``"already_final"``, ``"unconfirmed"`` (kept for later; the
            status call failed, or the item has no token and the hash could not be
            verified), ``"recorded"`` (kept until the item, still ``sending``, becomes
            ``in_doubt``), ``"not_ours"`` (no such item) or ``"mismatch"``.
    """

    item_id: str
    status: str
    action: str


def apply_callback(
    ledger: Ledger,
    client: Client,
    body: bytes,
    content_type: str,
    *,
    api_key: str = "",
    auth_token: str = "",
) -> CallbackOutcome:
    """Settle the ledger item a payout callback names, after confirming it.

    Wire it in the endpoint your ``callback_url`` points to (answer 200 first). Pass the
    account's ``api_key`` and ``auth_token`` so that callbacks for ``in_doubt`` items
    (which have no token to confirm with) can be checked by their hash.

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
    """
    callback = parse_callback(body, content_type)
    ident = str(callback.custom_data.get("transaction_id") or "")
    item = ledger.get(ident) if ident else None
    if item is None:
        return CallbackOutcome(ident, "", "not_ours")
    if item.status in FINAL_STATUSES:
        return CallbackOutcome(item.id, item.status, "already_final")
    if item.token:
        try:
            tx = client.confirm_callback(
                callback,
                token=item.token,
                type=item.status_type,  # type: ignore[arg-type]
                expected_amount=item.amount,
                expected_transaction_id=item.id,
            )
        except CallbackMismatchError as exc:
            logger.error("callback for payout %s refused: %s", item.id, exc.field)
            return CallbackOutcome(item.id, item.status, "mismatch")
        except LigdicashError:
            return CallbackOutcome(item.id, item.status, "unconfirmed")
        settled = settle_from_transaction(ledger, item, tx, "callback, confirmed by status")
        return _after(ledger, item, "settled" if settled else "unconfirmed")
    return _apply_tokenless(ledger, item, callback, api_key, auth_token)


def _apply_tokenless(
    ledger: Ledger, item: LedgerItem, callback: object, api_key: str, auth_token: str
) -> CallbackOutcome:
    from .._callbacks import Callback

    assert isinstance(callback, Callback)
    if item.status not in (IN_DOUBT, SENDING) or not (api_key and auth_token):
        return CallbackOutcome(item.id, item.status, "unconfirmed")
    try:
        callback.verify_hash(api_key=api_key, auth_token=auth_token)
    except InvalidCallbackError:
        return CallbackOutcome(item.id, item.status, "unconfirmed")
    if callback.amount != item.amount or (callback.customer and callback.customer != item.phone):
        return CallbackOutcome(item.id, item.status, "mismatch")
    final = COMPLETED if callback.status == "completed" else None
    final = FAILED if callback.status == "cancelled" else final
    if final is None:
        return CallbackOutcome(item.id, item.status, "unconfirmed")
    if item.status == SENDING:
        # A worker is waiting for the answer (or died waiting): keep what the callback
        # says; if the answer never comes, the item becomes in_doubt and this settles it.
        ledger.record_evidence(item.id, final)
        return CallbackOutcome(item.id, item.status, "recorded")
    settled = ledger.settle(item.id, final, resolution=EVIDENCE_RESOLUTION)
    return _after(ledger, item, "settled" if settled else "unconfirmed")


def _after(ledger: Ledger, item: LedgerItem, action: str) -> CallbackOutcome:
    now = ledger.get(item.id)
    status = now.status if now else ""
    if action != "settled" and status in FINAL_STATUSES:
        action = "already_final"  # the status polling (or the other copy) got there first
    return CallbackOutcome(item.id, status, action)
