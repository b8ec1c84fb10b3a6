"""The record of what a request sends, kept before it is sent.

Money safety: when a payment or payout fails on the network, the integrator must be able to
find out what was sent (amount, customer, ``custom_data.transaction_id``) to reconcile it
with the dashboard. Every error carries this record, and ``Client(on_request=...)`` receives
it before the first byte leaves, so it can be written to the integrator's own storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from ._wire import mask_phone

__all__ = ["RequestRecord", "redact_body"]

_REDACTED = "[redacted]"


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON tree (dicts, lists, tuples; the leaves are immutable).

    Request bodies are JSON by construction (``custom_data`` is checked to serialise, with a
    bounded depth, before any body is built), so this covers them; ``copy.deepcopy``'s
    generic machinery (memo, dispatch, reduce) cost about a tenth of a creation's CPU.
    """
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copy_json(item) for item in value)
    return value


def redact_body(body: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """A deep copy of a request body with the OTP replaced and the phone number masked.

    Records travel with errors into logs and error trackers: the OTP is a one-time secret
    and the customer's number is personal data.
    """
    if body is None:
        return None
    clean: dict[str, Any] = _copy_json(body)
    command = clean.get("commande", {})
    invoice = command.get("invoice")
    if isinstance(invoice, dict):
        if invoice.get("otp"):
            invoice["otp"] = _REDACTED
        if invoice.get("customer"):
            invoice["customer"] = mask_phone(str(invoice["customer"]))
    if command.get("customer"):
        command["customer"] = mask_phone(str(command["customer"]))
    return clean


@dataclass(frozen=True)
class RequestRecord:
    """What one SDK operation sends: operation name, method, URL and redacted JSON body.

    Never contains ``api_key``, ``auth_token`` or the OTP; the customer's number is masked.
    """

    operation: str
    method: str
    url: str
    body: Optional[dict[str, Any]] = field(default=None, repr=False)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def custom_data(self) -> dict[str, Any]:
        """The ``custom_data`` that was sent (empty for status calls)."""
        if not self.body:
            return {}
        value = self.body.get("commande", {}).get("custom_data")
        return dict(value) if isinstance(value, dict) else {}
