"""The LigdiCash Wallet's OTPs: one per wallet and amount, texted by ``debitotp``.

``GET /pay/v02/debitotp/{phone}/{amount}`` issues a fresh six-digit OTP for that wallet and
amount (replacing any earlier one, as a second text voids the first); ``POST
/pay/v02/debitwallet/withotp`` spends it once. The "customer's phone" is the control API
(``GET /_sandbox/wallet-otps``), ``SandboxClient.wallet_otp`` and the dashboard.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal, Optional

Check = Literal["ok", "wrong", "expired"]


@dataclass(frozen=True)
class WalletOtp:
    """An OTP texted to ``phone`` for ``amount``, valid until ``expires_at`` (epoch s)."""

    phone: str
    amount: int
    otp: str
    sent_at: float
    expires_at: float

    def as_dict(self) -> dict[str, object]:
        """The control API's view (the sandbox's OTPs are not secrets: they are fake)."""
        return {
            "phone": self.phone,
            "amount": self.amount,
            "otp": self.otp,
            "sent_at": self.sent_at,
            "expires_at": self.expires_at,
            "expired": self.expires_at <= time.time(),
        }


class WalletOtps:
    """The OTPs currently issued, keyed by (wallet, amount); thread-safe."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._otps: dict[tuple[str, int], WalletOtp] = {}

    def issue(self, phone: str, amount: int) -> WalletOtp:
        """Text a new OTP for ``phone`` and ``amount``; any earlier one for them is void."""
        now = time.time()
        otp = WalletOtp(phone, amount, f"{secrets.randbelow(10**6):06d}", now, now + self.ttl)
        with self._lock:
            self._otps[(phone, amount)] = otp
        return otp

    def spend(self, phone: str, amount: int, otp: str) -> Check:
        """Check ``otp`` for this wallet and amount; a right, live one is used up.

        ``"wrong"``: none was issued or it differs (it stays usable: the customer may
        retype it). ``"expired"``: it was right but too late (it is dropped).
        """
        with self._lock:
            issued = self._otps.get((phone, amount))
            if issued is None or not secrets.compare_digest(issued.otp, otp):
                return "wrong"
            del self._otps[(phone, amount)]
        return "ok" if issued.expires_at > time.time() else "expired"

    def find(self, phone: Optional[str] = None, amount: Optional[int] = None) -> list[WalletOtp]:
        """The issued OTPs, newest first, optionally for one wallet and/or amount."""
        with self._lock:
            otps = list(self._otps.values())
        return sorted(
            (
                o
                for o in otps
                if (phone is None or o.phone == phone) and (amount is None or o.amount == amount)
            ),
            key=lambda o: o.sent_at,
            reverse=True,
        )

    def clear(self) -> None:
        """Forget every OTP (``POST /_sandbox/reset``)."""
        with self._lock:
            self._otps.clear()
