"""Typed, immutable views of LigdiCash answers.

Frozen dataclasses rather than pydantic: they cost nothing at import time and keep the core's
only dependency httpx; all coercion is done by the small readers of ``_wire``. Every model
keeps the answer it came from in ``raw``, so nothing the server sent is ever lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ._wire import (
    mask_phone,
    normalize_custom_data,
    normalize_keys,
    normalize_status,
    parse_wiki,
    read_amount,
    short_token,
    split_custom_data,
    text,
)

__all__ = ["PaymentResponse", "Transaction", "WalletOtpResponse"]


@dataclass(frozen=True)
class PaymentResponse:
    """LigdiCash's answer to a payin or payout creation.

    Attributes:
        response_code: ``"00"`` (a refusal raises instead of returning).
        token: the transaction token. Store it whole: it is the only way to check the
            status later (``get_transaction``), and it differs from the callback's token.
        response_text: for a hosted payin, the payment page URL to redirect the customer to;
            for a direct payin, a message, or, with a redirect-mode operator (Orange Money
            Côte d'Ivoire and Mali, the Guinean operators), the URL of the page where the
            customer confirms. Hand a URL over as is: its shape varies. See
            :attr:`redirect_url`.
        description: the server's description, often empty.
        custom_data: what you sent as ``custom_data``, read back as a dict.
        wiki: links to the endpoint's error-code page.
        raw: the whole answer.
    """

    response_code: str
    token: str
    response_text: str
    description: str = ""
    custom_data: dict[str, Any] = field(default_factory=dict)
    wiki: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def payment_url(self) -> str:
        """The hosted payment page URL (same as :attr:`response_text`)."""
        return self.response_text

    @property
    def redirect_url(self) -> Optional[str]:
        """Where to send the customer's browser, or ``None`` when there is nowhere to go.

        A hosted payin's payment page; a direct payin's operator page when the operator
        works by redirect (``response_text`` is then a URL, e.g.
        ``https://mpayment.orange-money.com/ci/...``). ``None`` when ``response_text`` is
        not an ``http(s)`` URL: a direct payin confirmed on the phone (OTP, USSD push) or a
        payout. The customer coming back proves nothing: confirm with the stored token.
        """
        candidate = self.response_text.strip()
        scheme, _, rest = candidate.partition("://")
        if scheme.lower() in ("http", "https") and rest and not any(c.isspace() for c in rest):
            return candidate
        return None

    @classmethod
    def from_wire(cls, payload: Mapping[str, Any]) -> PaymentResponse:
        """Build from an answer's JSON object, tolerating missing, extra and camelCase keys."""
        return cls.from_normalized(normalize_keys(payload), payload)

    @classmethod
    def from_normalized(
        cls, data: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> PaymentResponse:
        """Build from ``data`` = ``normalize_keys(payload)``, already computed by the caller."""
        return cls(
            response_code=text(data.get("response_code")),
            token=text(data.get("token")),
            response_text=text(data.get("response_text")),
            description=text(data.get("description")),
            custom_data=normalize_custom_data(data.get("custom_data")),
            wiki=parse_wiki(data.get("wiki")),
            raw=dict(payload),
        )

    def __repr__(self) -> str:
        return (
            f"PaymentResponse(response_code={self.response_code!r}, "
            f"token={short_token(self.token)!r}, "
            f"response_text={self.response_text!r})"
        )


@dataclass(frozen=True)
class Transaction:
    """A transaction's state as a status call returned it.

    ``status`` uses the documented words: ``"completed"``, ``"pending"``, ``"cancelled"``
    (the server's ``nocompleted``/``notcompleted``); an unknown word is kept as is. The
    server's own word is in ``raw_status``. ``pending`` can last for days and is never an
    error.

    Deliver an order only when :attr:`is_completed` is true *and* ``amount`` and
    ``custom_data`` match what you created.

    ``custom_data`` holds your keys only; the records LigdiCash adds to it (``hash``,
    ``logfile``) are in ``provider_data``. A payout's status answer carries no amount
    (``amount`` is then ``None``) and an empty ``custom_data``.
    """

    status: str
    raw_status: str = ""
    response_code: str = ""
    amount: Optional[int] = None
    operator_id: str = ""
    operator_name: str = ""
    customer: str = ""
    token: str = ""
    custom_data: dict[str, Any] = field(default_factory=dict)
    wiki: list[str] = field(default_factory=list)
    description: str = ""
    response_text: str = ""
    response_text_details: str = ""
    external_id: str = ""
    transaction_id: str = ""
    request_id: str = ""
    date: str = ""
    provider_data: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_completed(self) -> bool:
        """True when the payment or payout succeeded (a final state)."""
        return self.status == "completed"

    @property
    def is_pending(self) -> bool:
        """True while the transaction is still in progress."""
        return self.status == "pending"

    @property
    def is_cancelled(self) -> bool:
        """True when the transaction failed or was cancelled (a final state)."""
        return self.status == "cancelled"

    @property
    def is_final(self) -> bool:
        """True when the status will not change any more (completed or cancelled)."""
        return self.status in ("completed", "cancelled")

    @classmethod
    def from_wire(cls, payload: Mapping[str, Any]) -> Transaction:
        """Build from a status answer, tolerating every variant the wire contract lists."""
        return cls.from_normalized(normalize_keys(payload), payload)

    @classmethod
    def from_normalized(cls, data: Mapping[str, Any], payload: Mapping[str, Any]) -> Transaction:
        """Build from ``data`` = ``normalize_keys(payload)``, already computed by the caller."""
        raw_status = text(data.get("status"))
        custom_data, provider_data = split_custom_data(data.get("custom_data"))
        return cls(
            status=normalize_status(raw_status),
            raw_status=raw_status,
            response_code=text(data.get("response_code")),
            amount=read_amount(data),
            operator_id=text(data.get("operator_id")),
            operator_name=text(data.get("operator_name")),
            customer=text(data.get("customer")),
            token=text(data.get("token")),
            custom_data=custom_data,
            wiki=parse_wiki(data.get("wiki")),
            description=text(data.get("description")),
            response_text=text(data.get("response_text")),
            response_text_details=text(data.get("response_text_details")),
            external_id=text(data.get("external_id")),
            transaction_id=text(data.get("transaction_id")),
            request_id=text(data.get("request_id")),
            date=text(data.get("date")),
            provider_data=provider_data,
            raw=dict(payload),
        )

    @property
    def montant(self) -> Optional[int]:
        """Alias of :attr:`amount` (the French key the server also sends)."""
        return self.amount

    def __repr__(self) -> str:
        # The customer's number is masked: reprs end up in logs and tracebacks.
        return (
            f"Transaction(status={self.status!r}, raw_status={self.raw_status!r}, "
            f"amount={self.amount!r}, operator_name={self.operator_name!r}, "
            f"customer={mask_phone(self.customer)!r}, custom_data={self.custom_data!r})"
        )


@dataclass(frozen=True)
class WalletOtpResponse:
    """LigdiCash's answer when it texted a LigdiCash Wallet customer an OTP.

    Returned only for ``{"error": false, ...}`` (``error: true`` raises
    :class:`WalletOtpNotSentError`): show the OTP field now, then call
    ``invoice.pay_with_wallet_otp(otp=..., customer=...)`` with the code the customer reads.

    Attributes:
        message: the server's words, e.g. ``"OTP sent. Please check your phone."``.
        raw: the whole answer.
    """

    message: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_normalized(
        cls, data: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> WalletOtpResponse:
        """Build from ``data`` = ``normalize_keys(payload)``."""
        return cls(message=text(data.get("message")), raw=dict(payload))
