"""The payouts' values: what the ledger hands out (one item's row, a batch's counts) and
what a run reports (its progress, how it ended)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .._wire import mask_phone, short_token

__all__ = ["BatchInfo", "CallbackEvidence", "LedgerItem", "Progress", "RunResult", "item_id"]


def item_id(batch_id: str, reference: str) -> str:
    """The ledger id of an item; also its ``custom_data["transaction_id"]`` on the wire."""
    return f"{batch_id}-{reference}"


@dataclass(frozen=True)
class CallbackEvidence:
    """What callbacks for an item without a token said: shown to the operator, never proof.

    A callback's ``hash`` binds only the callback's own token to the account's keys, not
    its body: one genuine callback of the account, replayed with another
    ``transaction_id``, status or amount, still verifies. So a callback for an item whose
    creation token the ledger lacks (``in_doubt``, or still ``sending``) is recorded here,
    and only a status call with a token (``payouts resolve --sent TOKEN``) settles it.

    Attributes:
        item_id: the ledger item the callbacks named.
        status: what they said (``completed``, ``cancelled``, ``pending`` or ``unknown``).
        amount: the amount they said (None if absent).
        customer: the recipient's number they said, masked.
        hash_check: ``"verified"`` (the hash matches the account's keys: still not proof),
            ``"wrong"`` (it does not: a forgery), ``"unchecked"`` (no keys were given),
            ``"absent"`` (the callback carries no hash, as the documented payout one does).
        callback_token: the callback's own token, shortened (to search the dashboard with).
        first_at, last_at: when the first and the latest such callback arrived (epoch s).
        received: how many saying this status arrived (each settlement comes twice).
    """

    item_id: str
    status: str
    amount: Optional[int]
    customer: str
    hash_check: str
    callback_token: str
    first_at: float = 0.0
    last_at: float = 0.0
    received: int = 1

    def describe(self) -> str:
        """One line for people: ``callback received <UTC time>: says completed, amount ...``."""
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.last_at))
        amount = "no amount" if self.amount is None else f"amount {self.amount}"
        times = f" ({self.received} received)" if self.received > 1 else ""
        return (
            f"callback received {when}{times}: says {self.status}, {amount}, customer "
            f"{self.customer or '?'}, hash {self.hash_check}, callback token "
            f"{self.callback_token or '?'} (not proof: check the LigdiCash dashboard)"
        )


def describe_evidence(evidence: list[CallbackEvidence]) -> str:
    """The evidence of one item as one line ("" if none); says so when callbacks disagree."""
    if not evidence:
        return ""
    text = "; ".join(e.describe() for e in sorted(evidence, key=lambda e: e.last_at))
    if len({e.status for e in evidence}) > 1:
        text = "callbacks DISAGREE: " + text
    return text


@dataclass(frozen=True)
class LedgerItem:
    """One payout as the ledger records it.

    ``token`` is the creation token (empty until LigdiCash answered); ``error`` the last
    error's text; ``resolution`` how an in-doubt item was settled (``"callback, confirmed
    by status"``, ``"operator: sent"``, ``"operator: not sent"``); ``evidence`` what
    callbacks said about it while it had no token (see :class:`CallbackEvidence`; never
    proof), "" if none; ``line`` the line of the batch file it came from (0 when unknown:
    recorded before schema 2, or not from a file).
    """

    id: str
    batch_id: str
    position: int
    reference: str
    phone: str
    amount: int
    type: str
    to_wallet: bool
    description: str
    status: str
    token: str = ""
    error_code: str = ""
    error: str = ""
    attempts: int = 0
    worker: str = ""
    updated_at: float = 0.0
    polled_at: float = 0.0
    resolution: str = ""
    evidence: str = ""
    line: int = 0

    @property
    def status_type(self) -> str:
        """The ``type`` argument of a status call for this payout."""
        return "client_payout" if self.type == "client" else "merchant_payout"

    def __repr__(self) -> str:
        return (
            f"LedgerItem(id={self.id!r}, status={self.status!r}, amount={self.amount}, "
            f"phone={mask_phone(self.phone)!r}, token={short_token(self.token)!r})"
        )


@dataclass(frozen=True)
class BatchInfo:
    """A batch's totals: counts and amounts per status, and why it is paused (if it is)."""

    id: str
    source: str
    item_count: int
    total: int
    paused_reason: str
    created_at: float
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)

    def count(self, *statuses: str) -> int:
        """How many items are in any of ``statuses``."""
        return sum(self.counts.get(s, 0) for s in statuses)

    @property
    def is_done(self) -> bool:
        """True when no item will move without an operator (nothing pending, sending, sent)."""
        return self.count("pending", "sending", "sent") == 0

    def as_dict(self) -> dict[str, Any]:
        """The batch as JSON-able data (for ``payouts status --json``)."""
        return {
            "id": self.id,
            "source": self.source,
            "item_count": self.item_count,
            "total": self.total,
            "paused_reason": self.paused_reason,
            "counts": dict(self.counts),
            "amounts": dict(self.amounts),
        }


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays: the batch's counts and the send rate so far."""

    info: BatchInfo
    sent_per_second: float
    settling: bool


@dataclass(frozen=True)
class RunResult:
    """How a run ended.

    Attributes:
        info: the batch's counts at the end.
        stopped: ``""`` (ran to the end), ``"interrupted"`` (stop() / Ctrl-C),
            ``"paused"`` (a refusal about the account; see ``info.paused_reason``),
            ``"network"`` (nothing could be sent), ``"ledger"`` (the ledger failed).
        recovered: items of dead workers turned ``in_doubt`` at start.
        detail: a sentence about why it stopped.
    """

    info: BatchInfo
    stopped: str
    recovered: int
    detail: str = ""
