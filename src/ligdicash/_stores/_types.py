"""The records a store hands back: claims, idempotency records, inbox entries, payments.

All are frozen dataclasses; times are seconds since the epoch (the store's clock). None of
them carries a credential; a payment's creation token (needed to confirm it) is kept out of
its ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

__all__ = [
    "SCHEMA_VERSION",
    "Claim",
    "ClaimState",
    "IdempotencyRecord",
    "InboxClaim",
    "InboxEntry",
    "InboxState",
    "PaymentClaim",
    "PaymentKind",
    "PaymentRecord",
    "RecordState",
    "ReleaseState",
]

#: The layout version every backend writes in its ``ligdicash_schema`` table (or key); a
#: later release reads it to migrate. Bump it together with a migration.
SCHEMA_VERSION = 1

ClaimState = Literal["claimed", "done", "busy"]
RecordState = Literal["processing", "done", "unconfirmed", "failed"]
ReleaseState = Literal["unconfirmed", "failed"]
InboxState = Literal["pending", "processing", "done"]
PaymentKind = Literal["payin", "client_payout", "merchant_payout"]


@dataclass(frozen=True)
class Claim:
    """The answer to :meth:`IdempotencyStore.claim`.

    ``state`` is ``"claimed"`` (you own the key until ``lease_until``: confirm, run the
    handler, then ``complete`` or ``release``; ``renew`` while you work), ``"done"``
    (already processed: do nothing) or ``"busy"`` (another worker holds a live claim).
    """

    key: str
    state: ClaimState
    owner: str = ""
    lease_until: float = 0.0

    @property
    def acquired(self) -> bool:
        """True when this claim won the key."""
        return self.state == "claimed"


@dataclass(frozen=True)
class IdempotencyRecord:
    """A key's stored state: ``processing``, ``done``, ``unconfirmed`` or ``failed``.

    ``attempts`` counts the claims won; ``note`` is a short reason such as ``"timeout"`` or
    ``"mismatch:amount"`` (never a secret).
    """

    key: str
    state: RecordState
    owner: str
    lease_until: float
    attempts: int
    note: str
    updated_at: float


@dataclass(frozen=True)
class InboxEntry:
    """A received callback, kept before the endpoint answers 200.

    ``digest`` (sha256 of content type, a NUL, then the body, in hex) is its key: the same
    bytes received twice are one entry whose ``deliveries`` is 2. ``state`` goes
    ``pending`` → ``processing`` (under a lease) → ``done`` with an ``outcome``; a released
    entry goes back to ``pending``. ``attempts`` counts the leases taken.
    """

    digest: str
    body: bytes = field(repr=False)
    content_type: str
    received_at: float
    state: InboxState
    owner: str
    lease_until: float
    attempts: int
    deliveries: int
    outcome: str
    updated_at: float


@dataclass(frozen=True)
class InboxClaim:
    """An inbox entry leased to one worker until ``lease_until`` (renew it while you work)."""

    entry: InboxEntry
    owner: str
    lease_until: float

    @property
    def digest(self) -> str:
        """The entry's key."""
        return self.entry.digest


@dataclass(frozen=True)
class PaymentRecord:
    """A payment the client created, kept so a reconciler can poll it until it settles.

    ``reference`` is the merchant's ``custom_data["transaction_id"]`` (the key: one record
    per reference); ``token`` is the creation token once the answer arrived (needed for the
    status call, hence stored; never shown in ``repr``). ``status`` is ``pending`` until a
    poll or a confirmed callback says otherwise; ``next_poll_at`` and ``poll_attempts`` are
    the reconciler's schedule; ``owner``/``lease_until`` mark a poller's live claim.
    """

    reference: str
    kind: PaymentKind
    amount: int
    token: Optional[str] = field(repr=False)
    status: str
    created_at: float
    updated_at: float
    next_poll_at: float
    poll_attempts: int
    owner: str
    lease_until: float
    note: str


@dataclass(frozen=True)
class PaymentClaim:
    """A payment leased to one poller until ``lease_until``; finish it with the poll's result."""

    payment: PaymentRecord
    owner: str
    lease_until: float

    @property
    def reference(self) -> str:
        """The payment's key."""
        return self.payment.reference
