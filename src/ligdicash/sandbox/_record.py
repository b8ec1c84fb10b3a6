"""The sandbox's typed records: a transaction, its callback mode, one callback attempt.

The store reads and writes these, the engine changes them, the views and pages render them;
nobody indexes a ``dict`` by string keys. ``public_record`` is the one place that turns a
transaction into the JSON the control API shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

CallbackKind = Literal["normal", "none", "delay"]
MAX_CALLBACK_DELAY_MS = 600_000
"""A held-back callback waits at most ten minutes (a longer one would outlive any test)."""

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class CallbackMode:
    """How a transaction's settlement is announced: ``normal``, ``none`` or ``delay:<ms>``.

    Parsed once from ``custom_data["sandbox_callback"]`` or the control API's ``callback``.
    """

    kind: CallbackKind = "normal"
    delay_ms: int = 0

    @classmethod
    def parse(cls, value: Any) -> CallbackMode:
        """Read ``normal`` (or empty), ``none`` or ``delay:<ms>``; raises ``ValueError``."""
        if value is not None and not isinstance(value, str):
            raise ValueError(f"unknown callback mode {value!r}")
        mode = (value or "normal").strip().lower()
        if mode in ("normal", "none"):
            return cls("normal" if mode == "normal" else "none")
        digits = mode[6:]
        if mode.startswith("delay:") and digits.isdigit() and len(digits) <= 9:
            delay = int(digits)
            if delay <= MAX_CALLBACK_DELAY_MS:
                return cls("delay", delay)
        raise ValueError(
            f"unknown callback mode {value!r}: expected normal, none or delay:<ms> "
            f"(at most {MAX_CALLBACK_DELAY_MS})"
        )

    @property
    def delay(self) -> float:
        """Seconds to hold the callbacks back."""
        return self.delay_ms / 1000

    def __str__(self) -> str:
        return f"delay:{self.delay_ms}" if self.kind == "delay" else self.kind


def truthy(value: Any) -> bool:
    """``sandbox_pending_forever`` read the lenient way: ``1``/``true``/``yes``/``on``."""
    return value is True or (isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE)


@dataclass
class Transaction:
    """One payin or payout as the sandbox keeps it."""

    id: int
    token: str
    kind: str
    """``payin``, ``client_payout`` or ``merchant_payout``."""
    flow: str
    """``hosted`` or ``direct`` for payins; the kind again for payouts."""
    status: str
    amount: int
    created_at: str
    currency: str = "xof"
    description: str = ""
    customer: str = ""
    operator_id: str = ""
    operator_name: str = ""
    external_id: str = ""
    transaction_id: str = ""
    request_id: str = ""
    custom_data: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    callback_url: str = ""
    return_url: str = ""
    cancel_url: str = ""
    callback_mode: CallbackMode = CallbackMode()
    pending_forever: bool = False
    settle_at: Optional[float] = None
    settle_status: Optional[str] = None
    callback_token: str = ""
    dedup_key: Optional[str] = None
    settled_at: str = ""

    def replace(self, **changes: Any) -> Transaction:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def order_id(self) -> str:
        """The merchant's own reference: ``custom_data["transaction_id"]`` or ``external_id``."""
        value = self.custom_data.get("transaction_id")
        return str(value) if isinstance(value, (str, int)) and value != "" else self.external_id


TRANSACTION_FIELDS = frozenset(f.name for f in dataclasses.fields(Transaction))


@dataclass(frozen=True)
class CallbackAttempt:
    """One delivery attempt of a callback, as the log keeps it."""

    tx_token: str
    callback_token: str
    url: str
    content_type: str
    body: str
    attempt: int
    response_status: Optional[int]
    error: Optional[str]
    delivered: bool
    at: str

    def as_dict(self) -> dict[str, Any]:
        """The attempt as the control API shows it."""
        return dataclasses.asdict(self)


def public_record(record: Transaction) -> dict[str, Any]:
    """A transaction as the control API shows it (the de-duplication key stays inside)."""
    data = dataclasses.asdict(record)
    del data["dedup_key"]
    data["callback_mode"] = str(record.callback_mode)
    data["order_id"] = record.order_id
    return data
