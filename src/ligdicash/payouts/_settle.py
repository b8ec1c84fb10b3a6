"""Settling ``sent`` items: by status polling, and by callbacks confirmed with a status call.

A callback is never proof. For an item whose creation token the ledger has, the callback
only triggers :meth:`Client.confirm_callback` with that token, and the *status call* settles
the item. For an ``in_doubt`` item (the answer with the token was lost) there is no token to
ask with: a callback whose ``hash`` verifies against the account's credentials, whose
``custom_data["transaction_id"]`` names the item, and whose amount and number match it,
is what LigdiCash alone could have sent; it resolves the item and says so in
``resolution`` (``"callback (hash verified; no token to confirm)"``). Without valid
credentials or hash, the item stays ``in_doubt`` for an operator.

Both are sans-IO generators (:func:`poll_round`, :func:`callback_steps`) of the effects of
:mod:`._effects`: :func:`poll_sent` / :func:`apply_callback` drive them in the calling
thread, :func:`apoll_sent` / :func:`aapply_callback` on an event loop with an
``AsyncClient`` (the ledger's blocking calls in worker threads).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .._bulk import TransactionResult
from .._callbacks import Callback, parse_callback
from .._drive import adrive, drive
from .._exceptions import CallbackMismatchError, InvalidCallbackError, LigdicashError
from .._models import Transaction
from ._effects import ClientCall, Effect, LedgerCall, aperformer, performer
from ._ledger import Ledger
from ._ledger_base import EVIDENCE_RESOLUTION
from ._records import LedgerItem
from ._states import COMPLETED, FAILED, FINAL_STATUSES, IN_DOUBT, SENDING

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = [
    "CallbackOutcome",
    "aapply_callback",
    "apoll_sent",
    "apply_callback",
    "callback_steps",
    "poll_round",
    "poll_sent",
]

Steps = Generator[Effect, Any, Any]

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


def _finals(
    group: Sequence[LedgerItem], results: Sequence[TransactionResult]
) -> list[tuple[str, str]]:
    """The ``(item id, completed|failed)`` of the status results that are final and agree."""
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
    return finals


def poll_round(
    batch_id: str, *, interval: float, concurrency: int, limit: int
) -> Generator[Effect, Any, int]:
    """One status round over the batch's due ``sent`` items, as effects; returns how many
    became final (see :func:`poll_sent`)."""
    due: list[LedgerItem] = yield LedgerCall("due_for_poll", (batch_id, interval, limit))
    settled = 0
    for kind in ("client_payout", "merchant_payout"):
        group = [item for item in due if item.status_type == kind]
        if not group:
            continue
        results = yield ClientCall(
            "get_transactions", ([item.token for item in group], kind), {"concurrency": concurrency}
        )
        yield LedgerCall("mark_polled", ([item.id for item in group],))
        settled += yield LedgerCall("settle_many", (_finals(group, results),))
    return settled


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

    Raises:
        LigdicashError: the ledger failed, or the client is closed.
    """
    steps = poll_round(batch_id, interval=interval, concurrency=concurrency, limit=limit)
    settled: int = drive(steps, performer(ledger, client))
    return settled


async def apoll_sent(
    ledger: Ledger,
    client: AsyncClient,
    batch_id: str,
    *,
    interval: float,
    concurrency: int = 4,
    limit: int = 200,
    executor: Optional[Executor] = None,
) -> int:
    """:func:`poll_sent` with an ``AsyncClient``; the ledger's calls run in ``executor``'s
    threads (default: the event loop's).

    Raises:
        LigdicashError: the ledger failed, or the client is closed.
    """
    steps = poll_round(batch_id, interval=interval, concurrency=concurrency, limit=limit)
    settled: int = await adrive(steps, aperformer(ledger, client, executor))
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


def callback_steps(
    body: bytes, content_type: str, *, api_key: str = "", auth_token: str = ""
) -> Generator[Effect, Any, CallbackOutcome]:
    """What a payout callback does to the ledger, as effects (see :func:`apply_callback`).

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
    """
    callback = parse_callback(body, content_type)
    ident = callback.order_id  # custom_data["transaction_id"], else a payout's root id
    item: Optional[LedgerItem] = (yield LedgerCall("get", (ident,))) if ident else None
    if item is None:
        return CallbackOutcome(ident, "", "not_ours")
    if item.status in FINAL_STATUSES:
        return CallbackOutcome(item.id, item.status, "already_final")
    if not item.token:
        return (yield from _tokenless_steps(item, callback, api_key, auth_token))
    try:
        tx: Transaction = yield ClientCall(
            "confirm_callback",
            (callback,),
            {
                "token": item.token,
                "type": item.status_type,
                "expected_amount": item.amount,
                "expected_transaction_id": item.id,
            },
        )
    except CallbackMismatchError as exc:
        logger.error("callback for payout %s refused: %s", item.id, exc.field)
        return CallbackOutcome(item.id, item.status, "mismatch")
    except LigdicashError:
        return CallbackOutcome(item.id, item.status, "unconfirmed")
    settled = False
    final = _final_status(tx)
    problem = "" if final is None else _disagreement(item, tx)
    if problem:
        logger.error("payout %s not settled: %s", item.id, problem)
    elif final is not None:
        how = "callback, confirmed by status" if item.status == IN_DOUBT else ""
        settled = yield LedgerCall("settle", (item.id, final), {"resolution": how})
    return (yield from _after(item, "settled" if settled else "unconfirmed"))


def _tokenless_steps(
    item: LedgerItem, callback: Callback, api_key: str, auth_token: str
) -> Generator[Effect, Any, CallbackOutcome]:
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
        yield LedgerCall("record_evidence", (item.id, final))
        return CallbackOutcome(item.id, item.status, "recorded")
    settled = yield LedgerCall("settle", (item.id, final), {"resolution": EVIDENCE_RESOLUTION})
    return (yield from _after(item, "settled" if settled else "unconfirmed"))


def _after(item: LedgerItem, action: str) -> Generator[Effect, Any, CallbackOutcome]:
    now: Optional[LedgerItem] = yield LedgerCall("get", (item.id,))
    status = now.status if now else ""
    if action != "settled" and status in FINAL_STATUSES:
        action = "already_final"  # the status polling (or the other copy) got there first
    return CallbackOutcome(item.id, status, action)


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
        LigdicashError: the ledger failed.
    """
    steps = callback_steps(body, content_type, api_key=api_key, auth_token=auth_token)
    outcome: CallbackOutcome = drive(steps, performer(ledger, client))
    return outcome


async def aapply_callback(
    ledger: Ledger,
    client: AsyncClient,
    body: bytes,
    content_type: str,
    *,
    api_key: str = "",
    auth_token: str = "",
    executor: Optional[Executor] = None,
) -> CallbackOutcome:
    """:func:`apply_callback` for asyncio apps (FastAPI...): the same decisions, the status
    call awaited on ``client``, the ledger's calls in ``executor``'s threads (default: the
    event loop's).

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
        LigdicashError: the ledger failed.
    """
    steps = callback_steps(body, content_type, api_key=api_key, auth_token=auth_token)
    outcome: CallbackOutcome = await adrive(steps, aperformer(ledger, client, executor))
    return outcome
