"""Settings of one sandbox instance: credentials, platform, storage, delays, retries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Platform = Literal["live", "test"]
Language = Literal["en", "fr"]
Wire = Literal["documented", "legacy"]
WIRES = ("documented", "legacy")

DEFAULT_API_KEY = "sandbox_api_key"
DEFAULT_AUTH_TOKEN = "sandbox_auth_token"
DEFAULT_BALANCE = 10_000_000
API_PREFIX = "/pay/v01/"
API_V02_PREFIX = "/pay/v02/"
"""Where the LigdiCash Wallet endpoints live (``debitotp``, ``debitwallet/withotp``)."""


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes how a sandbox behaves; immutable once the sandbox runs.

    Delays are in seconds. A delay of 0 settles the transaction as soon as it is created;
    ``approval_delay=None`` makes approval-mode payins wait for an explicit approval through
    the control API (``POST /_sandbox/transactions/{token}/approve``).
    """

    api_key: str = DEFAULT_API_KEY
    auth_token: str = DEFAULT_AUTH_TOKEN
    platform: Platform = "live"
    db_path: str = ":memory:"
    balance: int = DEFAULT_BALANCE
    otp_delay: float = 0.5
    approval_delay: float | None = 1.0
    client_payout_delay: float = 0.5
    merchant_payout_delay: float = 1.5
    callback_attempts: int = 3
    callback_backoff: float = 0.2
    callback_timeout: float = 5.0
    wallet_otp_ttl: float = 300.0
    """How long a LigdiCash Wallet OTP stays valid; ``0`` makes every OTP expired (Code16)."""
    public_url: str | None = None
    """Scheme and host used in payment URLs; by default the Host header of each request."""
    language: Language = "en"
    """Language of the hosted page and the dashboard for a request that names none we speak
    (no ``?lang=``, no French or English in ``Accept-Language``); ``ligdicash sandbox`` sets
    it from ``--lang``, else ``LIGDICASH_LANG``, else the locale."""
    wire: Wire = "documented"
    """The payload shapes: ``"documented"`` (default) sends what developers.ligdicash.com
    documents (payin callbacks with ``token: ""``, ``hash`` and ``logfile`` records in
    ``custom_data``, the form copy's ``custom_data`` as stringified JSON, ``notcompleted``,
    dates with their zone, payout callbacks keyed by their root ``transaction_id`` with
    ``custom_data: []``, payout status answers without amount); ``"legacy"`` keeps the
    older observed shapes (a JWT callback token and a top-level ``hash``, ``nocompleted``,
    PHP bracket form keys, payout status answers with amount and custom_data).
    ``ligdicash sandbox --wire legacy`` sets it."""

    def __post_init__(self) -> None:
        if self.platform not in ("live", "test"):
            raise ValueError(f"platform must be 'live' or 'test', not {self.platform!r}")
        if self.wire not in WIRES:
            raise ValueError(f"wire must be 'documented' or 'legacy', not {self.wire!r}")
        if self.language not in ("en", "fr"):
            raise ValueError(f"language must be 'en' or 'fr', not {self.language!r}")
        if self.callback_attempts < 1:
            raise ValueError("callback_attempts must be at least 1")
        if self.wallet_otp_ttl < 0:
            raise ValueError("wallet_otp_ttl must be at least 0")
        if not self.api_key or not self.auth_token:
            raise ValueError("api_key and auth_token must not be empty")

    def replace(self, **changes: Any) -> SandboxConfig:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def fast(cls, **changes: Any) -> SandboxConfig:
        """A configuration for test suites: everything settles at once, retries are quick."""
        base = cls(
            otp_delay=0.0,
            approval_delay=0.0,
            client_payout_delay=0.0,
            merchant_payout_delay=0.0,
            callback_backoff=0.05,
            callback_timeout=3.0,
        )
        return dataclasses.replace(base, **changes)

    def public_settings(self) -> dict[str, Any]:
        """The settings that may be shown to anyone (no credentials)."""
        data = dataclasses.asdict(self)
        data.pop("api_key")
        data.pop("auth_token")
        return data
