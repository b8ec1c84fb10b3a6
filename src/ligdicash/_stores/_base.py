"""The store protocols, one per concern: exactly-once claims (:class:`ClaimStore`, first
named :data:`IdempotencyStore`: claim/complete/release/renew/get, what the callback
processor needs; subclass it to plug your own store), the durable callback inbox
(:class:`InboxStore`, ``inbox_*``) and the registry of created payments
(:class:`PaymentRegistryStore`, ``*_payment*``). :class:`Store` is all three on one object
and one database; every backend ``open_store`` returns is a ``Store``.

Every backend makes the same promises, pinned by one contract suite
(``tests/stores/``): a claim, a lease on an inbox entry or on a due payment is won by
exactly one caller across threads, processes and hosts; only the owner of a live lease can
renew, finish or release it; an expired lease is taken over by the next caller. Stores raise
:class:`~ligdicash.StoreUnavailableError` when their server cannot be reached (the next
call reconnects) and :class:`~ligdicash.InvalidRequestError` for a key they cannot store.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from abc import ABC, abstractmethod
from typing import Optional

from .._exceptions import InvalidRequestError
from ._types import (
    Claim,
    IdempotencyRecord,
    InboxClaim,
    InboxEntry,
    InboxState,
    PaymentClaim,
    PaymentKind,
    PaymentRecord,
    ReleaseState,
)

__all__ = [
    "ClaimStore",
    "IdempotencyStore",
    "InboxStore",
    "PaymentRegistryStore",
    "Store",
    "inbox_digest",
]

INBOX_STATES: tuple[InboxState, ...] = ("pending", "processing", "done")
PAYMENT_KINDS: tuple[PaymentKind, ...] = ("payin", "client_payout", "merchant_payout")
MAX_KEY_LENGTH = 512


def new_owner() -> str:
    """A fresh, unguessable owner id for one claim."""
    return uuid.uuid4().hex


def inbox_digest(body: bytes, content_type: str) -> str:
    """The inbox key of a received callback: sha256(content type, NUL, body) in hex."""
    return hashlib.sha256(content_type.encode("utf-8") + b"\0" + body).hexdigest()


#: A query parameter whose name says it holds a secret (``password``, ``passwd``, ``pwd``,
#: ``token``, ``secret``, ``key``, ``sslpassword``, ``auth``, ...), with its value.
_SECRET_QUERY = re.compile(
    r"([?&;][^=&;#]*(?:pass|pwd|token|secret|key|auth|credential)[^=&;#]*=)([^&;#]*)",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """The URL with its secrets replaced by ``***`` (for reprs, error messages and logs):
    the ``user:password@`` part and the value of every query parameter whose name says it
    holds one (``?password=``, ``?sslpassword=``, ``?token=``, ``?secret=``, ``?api_key=``...)."""
    url = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    return _SECRET_QUERY.sub(r"\1***", url)


def check_key(value: object, what: str = "key") -> str:
    """Refuse a key no backend can store the same way (empty, too long, NUL, not text).

    Raises:
        InvalidRequestError: before anything reaches the store.
    """
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"the store {what} must be a non-empty string")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidRequestError(f"the store {what} is longer than {MAX_KEY_LENGTH} characters")
    if "\0" in value:  # PostgreSQL text cannot hold NUL; refuse it everywhere alike
        raise InvalidRequestError(f"the store {what} contains a NUL character")
    return value


def check_lease(seconds: object) -> float:
    """A lease must be a positive, finite number of seconds."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds <= 0
    ):
        raise InvalidRequestError("lease_seconds must be a positive number of seconds")
    return float(seconds)


def check_text(value: object, what: str, *, limit: int = 1000) -> str:
    """A short free text (note, outcome, status, content type): str, bounded, no NUL."""
    if not isinstance(value, str) or len(value) > limit or "\0" in value:
        raise InvalidRequestError(f"{what} must be a string of at most {limit} characters")
    return value


def check_body(body: object) -> bytes:
    """A callback body is bytes (the endpoint's raw request body)."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise InvalidRequestError("an inbox body must be bytes")
    return bytes(body)


def check_payment(reference: str, kind: object, amount: object, token: Optional[str]) -> None:
    """A payment to record: a usable reference, one of our kinds, a whole number of francs
    and, when given, a token of bounded length."""
    check_key(reference, "reference")
    if kind not in PAYMENT_KINDS:
        raise InvalidRequestError(f"kind must be one of {', '.join(PAYMENT_KINDS)}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidRequestError("amount must be a whole number of CFA francs (int)")
    if token is not None:
        check_text(token, "token", limit=4000)


class ClaimStore(ABC):
    """Where claims live (the exactly-once key of each callback event). Implementations
    must make :meth:`claim` atomic across workers. Also known by its first name,
    :data:`IdempotencyStore`: the protocol the callback processor needs; subclass it to plug
    your own store.

    Semantics every implementation follows:

    * ``claim(key)``: absent key → insert ``processing`` with a lease, return ``claimed``;
      ``done`` → ``done``; ``processing`` with a live lease → ``busy``; ``unconfirmed``,
      ``failed`` or an expired lease → take it over (``attempts + 1``), ``claimed``.
    * ``renew(claim, lease_seconds)``: the owner of a live ``processing`` claim pushes its
      lease to now + ``lease_seconds``; anyone else (or a lapsed lease) gets False.
    * ``complete(claim)``: set ``done``; returns False if the claim had been taken over.
    * ``release(claim, state)``: only the current owner of a ``processing`` key can move it
      to ``unconfirmed``/``failed``; returns whether it did.
    * ``get(key)``: the record or ``None``.
    """

    @abstractmethod
    def claim(self, key: str, *, lease_seconds: float = 300.0) -> Claim:
        """Try to take ``key`` for ``lease_seconds``; see the class docstring."""

    @abstractmethod
    def complete(self, claim: Claim, *, note: str = "") -> bool:
        """Mark the key ``done`` for ever (later claims answer ``done``)."""

    @abstractmethod
    def release(self, claim: Claim, *, state: ReleaseState = "unconfirmed", note: str = "") -> bool:
        """Give the key back so a later copy or the polling fallback can process it."""

    @abstractmethod
    def get(self, key: str) -> Optional[IdempotencyRecord]:
        """The key's record, or ``None`` when it was never claimed."""

    def renew(self, claim: Claim, *, lease_seconds: float) -> bool:
        """Extend a live claim's lease (a heartbeat); False when the claim was lost.

        Raises:
            NotImplementedError: a store written before leases could be renewed.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot renew leases")

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Release resources (connections). Safe to call twice."""


#: The claims protocol's first name (callback code and user stores subclass it).
IdempotencyStore = ClaimStore


class InboxStore(ABC):
    """The callback inbox: the endpoints write each callback here before answering 200;
    workers lease entries, so a callback whose worker died is found again by a sweeper.

    ``inbox_put``, ``inbox_claim``, ``inbox_claim_next``, ``inbox_renew``,
    ``inbox_finish``, ``inbox_release``, ``inbox_get``, ``inbox_list``, ``inbox_counts``;
    and ``inbox_backlog``, ``inbox_discard``, ``inbox_purge`` (the retention and the
    bound on what forged callbacks can make the store keep).
    """

    @abstractmethod
    def inbox_put(
        self, body: bytes, content_type: str, *, received_at: Optional[float] = None
    ) -> InboxEntry:
        """Keep a received callback (``pending``); the same bytes again are the same entry
        (its ``deliveries`` grows, its state does not change). Returns the stored entry."""

    @abstractmethod
    def inbox_claim(self, digest: str, *, lease_seconds: float) -> Optional[InboxClaim]:
        """Lease this entry if it is ``pending`` or its lease lapsed; else ``None``."""

    @abstractmethod
    def inbox_claim_next(self, *, lease_seconds: float) -> Optional[InboxClaim]:
        """Lease the oldest unfinished entry nobody holds (one worker each), or ``None``."""

    @abstractmethod
    def inbox_renew(self, claim: InboxClaim, *, lease_seconds: float) -> bool:
        """Extend the owner's live lease; False when the lease was lost."""

    @abstractmethod
    def inbox_finish(self, claim: InboxClaim, *, outcome: str) -> bool:
        """Mark the entry ``done`` with a short ``outcome``; only its current owner can."""

    @abstractmethod
    def inbox_release(self, claim: InboxClaim, *, outcome: str = "") -> bool:
        """Put the entry back to ``pending`` for a later attempt; only its owner can."""

    @abstractmethod
    def inbox_get(self, digest: str) -> Optional[InboxEntry]:
        """The entry, or ``None``."""

    @abstractmethod
    def inbox_list(
        self, *, state: Optional[InboxState] = None, limit: int = 100
    ) -> list[InboxEntry]:
        """Entries, oldest received first, optionally of one state (for operators)."""

    @abstractmethod
    def inbox_counts(self) -> dict[str, int]:
        """How many entries are ``pending``, ``processing`` and ``done`` (zeros included)."""

    def inbox_backlog(self) -> int:
        """How many entries are unfinished (``pending`` or ``processing``): what the
        endpoints compare with the processor's ``max_pending`` before keeping one more.
        Backends answer from an index, without reading the finished entries."""
        counts = self.inbox_counts()
        return counts.get("pending", 0) + counts.get("processing", 0)

    def inbox_discard(self, claim: InboxClaim) -> bool:
        """Delete the leased entry instead of finishing it (a refusal, a duplicate: nothing
        worth keeping, and nothing an unauthenticated sender can pile up); only its
        current owner can. Returns whether it was still ours.

        Raises:
            NotImplementedError: a store written before entries could be discarded (the
                processor then finishes the entry instead).
        """
        raise NotImplementedError(f"{type(self).__name__} cannot discard inbox entries")

    def inbox_purge(self, *, older_than: float, limit: int = 10_000) -> int:
        """Delete up to ``limit`` ``done`` entries finished more than ``older_than``
        seconds ago; returns how many. Unfinished entries are never purged, and
        exactly-once does not depend on finished ones (the event keys hold it).

        Raises:
            NotImplementedError: a store written before the inbox had a retention.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot purge its inbox")

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Release resources (connections). Safe to call twice."""


class PaymentRegistryStore(ABC):
    """The registry of created payments: clients record what they created; a reconciler
    leases the payments due for a poll, one poller each.

    ``record_payment``, ``set_payment_token``, ``set_payment_status``,
    ``claim_due_payments``, ``finish_payment_poll``, ``get_payment``, ``list_payments``,
    ``payment_counts``.
    """

    @abstractmethod
    def record_payment(
        self,
        reference: str,
        *,
        kind: PaymentKind,
        amount: int,
        token: Optional[str] = None,
        next_poll_at: Optional[float] = None,
    ) -> PaymentRecord:
        """Record a created payment as ``pending`` (first poll at ``next_poll_at``, default
        now). A reference already recorded is left as it is and returned."""

    @abstractmethod
    def set_payment_token(self, reference: str, token: str) -> bool:
        """Store the creation token once the answer arrived; False for an unknown reference."""

    @abstractmethod
    def set_payment_status(self, reference: str, status: str, *, note: str = "") -> bool:
        """Set the status (e.g. from a confirmed callback); a final status ends the polling."""

    @abstractmethod
    def claim_due_payments(
        self, *, limit: int = 100, lease_seconds: float = 30.0, older_than: float = 0.0
    ) -> list[PaymentClaim]:
        """Lease up to ``limit`` pending payments created at least ``older_than`` seconds
        ago whose ``next_poll_at`` has come and that no poller holds, soonest due first."""

    @abstractmethod
    def finish_payment_poll(
        self, claim: PaymentClaim, *, status: str, next_poll_at: float = 0.0, note: str = ""
    ) -> bool:
        """Record a poll's result (``poll_attempts + 1``, the status, the next poll time)
        and drop the lease; only the lease's owner can. A status other than ``pending``
        takes the payment off the schedule."""

    @abstractmethod
    def get_payment(self, reference: str) -> Optional[PaymentRecord]:
        """The payment, or ``None``."""

    @abstractmethod
    def list_payments(
        self, *, status: Optional[str] = None, limit: int = 100
    ) -> list[PaymentRecord]:
        """Payments, oldest first, optionally of one status (for operators)."""

    @abstractmethod
    def payment_counts(self) -> dict[str, int]:
        """How many payments have each status."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Release resources (connections). Safe to call twice."""


class Store(ClaimStore, InboxStore, PaymentRegistryStore):
    """A whole store: claims (:class:`ClaimStore`), the callback inbox
    (:class:`InboxStore`) and the payment registry (:class:`PaymentRegistryStore`) on one
    object and one database. Every backend ``open_store`` returns is a ``Store``; the
    callback processor needs only a ``ClaimStore`` (and uses the inbox when the store is
    a whole one), the reconciler the registry.
    """
