"""Settling ``sent`` items: by status polling, and by callbacks confirmed with a status call.

A callback is never proof. For an item whose creation token the ledger has, the callback
only triggers :meth:`Client.confirm_callback` with that token, and the *status call* settles
the item. An item without a token (``in_doubt``: the answer with the token was lost; or
still ``sending``) has nothing to ask with, and the callback's ``hash`` cannot stand in:
``sha256(api_key + callback token + auth_token)`` binds only the callback's own token, so
one genuine callback of the account, replayed with another ``transaction_id``, status or
amount, still verifies. Such a callback is recorded as :class:`~._records.CallbackEvidence`
for the operator (``payouts status``, the report, :attr:`LedgerItem.evidence`) and settles
nothing; the operator finds the payout on the LigdiCash dashboard and resolves the item
(``resolve --sent TOKEN``: the next status call settles it). The callback's own token is
no way in either: LigdiCash documents it as different from the creation token, and a
payout's status answer carries no ``transaction_id`` or amount to tie it to this item.

Both are sans-IO generators (:func:`poll_round`, :func:`callback_steps`) of
``ligdicash._drive``'s effects (``Blocking`` calls of the ledger and the client):
:func:`poll_sent` / :func:`apply_callback` drive them in the calling thread,
:func:`apoll_sent` / :func:`aapply_callback` on an event loop with an ``AsyncClient`` (the
ledger's blocking calls in worker threads).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .._bulk import TransactionResult
from .._callbacks import Callback, parse_callback
from .._drive import Blocking, Effect, adrive, aperform, drive
from .._exceptions import CallbackMismatchError, LigdicashError
from .._models import Transaction
from .._wire import mask_phone, short_token
from ._ledger import Ledger
from ._records import CallbackEvidence, LedgerItem
from ._states import COMPLETED, FAILED, FINAL_STATUSES, IN_DOUBT

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
    ledger: Ledger,
    client: Union[Client, AsyncClient],
    batch_id: str,
    *,
    interval: float,
    concurrency: int,
    limit: int,
) -> Generator[Effect, Any, int]:
    """One status round over the batch's due ``sent`` items, as effects; returns how many
    became final (see :func:`poll_sent`)."""
    due: list[LedgerItem] = yield Blocking(ledger.due_for_poll, batch_id, interval, limit)
    settled = 0
    for kind in ("client_payout", "merchant_payout"):
        group = [item for item in due if item.status_type == kind]
        if not group:
            continue
        results = yield Blocking(
            client.get_transactions, [item.token for item in group], kind, concurrency=concurrency
        )
        yield Blocking(ledger.mark_polled, [item.id for item in group])
        settled += yield Blocking(ledger.settle_many, _finals(group, results))
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
    steps = poll_round(
        ledger, client, batch_id, interval=interval, concurrency=concurrency, limit=limit
    )
    settled: int = drive(steps)
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
    threads (default: anyio's worker threads).

    Raises:
        LigdicashError: the ledger failed, or the client is closed.
    """
    steps = poll_round(
        ledger, client, batch_id, interval=interval, concurrency=concurrency, limit=limit
    )
    settled: int = await adrive(steps, lambda effect: aperform(effect, executor=executor))
    return settled


@dataclass(frozen=True)
class CallbackOutcome:
    """What a callback did to the ledger.

    Attributes:
        item_id: the ledger item the callback names ("" if none).
        status: the item's status afterwards ("" if unknown).
        action: ``"settled"`` (a status call with the item's token settled it),
            ``"already_final"``, ``"unconfirmed"`` (kept for later: the status call
            failed or was not final), ``"recorded"`` (the item has no token: what the
            callback said is kept as evidence for the operator, nothing is settled),
            ``"not_ours"`` (no such item) or ``"mismatch"`` (the status call disagrees).
    """

    item_id: str
    status: str
    action: str


def callback_steps(
    ledger: Ledger,
    client: Union[Client, AsyncClient],
    body: bytes,
    content_type: str,
    *,
    api_key: str = "",
    auth_token: str = "",
) -> Generator[Effect, Any, CallbackOutcome]:
    """What a payout callback does to the ledger, as effects (see :func:`apply_callback`).

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
    """
    callback = parse_callback(body, content_type)
    ident = callback.order_id  # custom_data["transaction_id"], else a payout's root id
    # Item ids are a hex batch id and a printable reference: anything else is not ours,
    # and is not worth a query (a NUL would be refused by PostgreSQL).
    known = bool(ident) and ident.isprintable() and len(ident) <= 200
    item: Optional[LedgerItem] = (yield Blocking(ledger.get, ident)) if known else None
    if item is None:
        return CallbackOutcome(ident, "", "not_ours")
    if item.status in FINAL_STATUSES:
        return CallbackOutcome(item.id, item.status, "already_final")
    if not item.token:
        return (yield from _tokenless_steps(ledger, item, callback, api_key, auth_token))
    # mypy cannot join the two clients' keyword-only signatures (sync and async) into one
    # ParamSpec; the call is the same on both.
    confirm: Callable[..., Any] = client.confirm_callback
    try:
        tx: Transaction = yield Blocking(
            confirm,
            callback,
            token=item.token,
            type=item.status_type,
            expected_amount=item.amount,
            expected_transaction_id=item.id,
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
        settled = yield Blocking(ledger.settle, item.id, final, resolution=how)
    return (yield from _after(ledger, item, "settled" if settled else "unconfirmed"))


_SAID = {"completed": "completed", "cancelled": "cancelled", "pending": "pending"}


def _plausible(amount: Optional[int]) -> bool:
    return amount is not None and 0 <= amount < 10**15


def _hash_check(callback: Callback, api_key: str, auth_token: str) -> str:
    if not (api_key and auth_token):
        return "unchecked"
    if not callback.hash:
        # The documented payout callback carries no hash at all: absent is not forged.
        return "absent"
    return "verified" if callback.hash_matches(api_key=api_key, auth_token=auth_token) else "wrong"


def _tokenless_steps(
    ledger: Ledger, item: LedgerItem, callback: Callback, api_key: str, auth_token: str
) -> Generator[Effect, Any, CallbackOutcome]:
    # Evidence, never a settlement: the hash does not cover the body (see the module doc).
    evidence = CallbackEvidence(
        item_id=item.id,
        status=_SAID.get(callback.status, "unknown"),
        # A forged amount beyond any payout would not fit the column: shown as absent.
        amount=callback.amount if _plausible(callback.amount) else None,
        customer=mask_phone(callback.customer) if callback.customer else "",
        hash_check=_hash_check(callback, api_key, auth_token),
        callback_token=short_token(callback.token),
    )
    yield Blocking(ledger.record_callback, evidence)
    if item.status == IN_DOUBT:
        logger.warning(
            "payout %s is in_doubt; a callback says %s (evidence only, not settled: "
            "find it on the LigdiCash dashboard and run `ligdicash payouts resolve`)",
            item.id,
            evidence.status,
        )
    return CallbackOutcome(item.id, item.status, "recorded")


def _after(
    ledger: Ledger, item: LedgerItem, action: str
) -> Generator[Effect, Any, CallbackOutcome]:
    now: Optional[LedgerItem] = yield Blocking(ledger.get, item.id)
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

    Wire it in the endpoint your ``callback_url`` points to (answer 200 first). Only a
    status call with the item's token settles it; a callback for an item without a token
    (``in_doubt``) is kept as evidence for the operator (:attr:`LedgerItem.evidence`).
    ``api_key`` and ``auth_token``, if given, only say in that evidence whether the
    callback's ``hash`` matched (a replayed genuine hash matches whatever the body says).

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
        LigdicashError: the ledger failed.
    """
    steps = callback_steps(
        ledger, client, body, content_type, api_key=api_key, auth_token=auth_token
    )
    outcome: CallbackOutcome = drive(steps)
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
    call awaited on ``client``, the ledger's calls in ``executor``'s threads (default:
    anyio's worker threads).

    Raises:
        InvalidCallbackError: the body is not a LigdiCash callback.
        LigdicashError: the ledger failed.
    """
    steps = callback_steps(
        ledger, client, body, content_type, api_key=api_key, auth_token=auth_token
    )
    outcome: CallbackOutcome = await adrive(
        steps, lambda effect: aperform(effect, executor=executor)
    )
    return outcome
