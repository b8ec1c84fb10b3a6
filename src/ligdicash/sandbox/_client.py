"""A Python handle on a running sandbox's control API (in-process or started by the CLI)."""

from __future__ import annotations

import time
from typing import Any, Optional

import httpx

from ._config import API_PREFIX


class SandboxError(RuntimeError):
    """The control API refused a request (unknown token, bad value...)."""


class SandboxClient:
    """Wraps ``/_sandbox/...``: ``SandboxClient("http://127.0.0.1:8765")``.

    Every method is a thin call of the control API documented in ``docs/sandbox.md``.
    Requests that change state are sent as JSON (``Content-Type: application/json``), which
    is what the control API's cross-site guard asks for.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._http: Optional[httpx.Client] = httpx.Client(
            base_url=self._url, timeout=timeout, trust_env=False
        )

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:8765``."""
        if not self._url:
            raise RuntimeError("the sandbox is not running; use start() or a with block")
        return self._url

    @property
    def base_url(self) -> str:
        """The API root to give the SDK (``ligdicash.base_url``), ending in ``/pay/v01/``."""
        return self.url + API_PREFIX

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self._http is None:
            raise RuntimeError("this sandbox handle is closed")
        if method != "GET" and "json" not in kwargs:
            kwargs["json"] = {}
        response = self._http.request(method, "/_sandbox/" + path, **kwargs)
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            data = {"error": response.text[:200]}
        if response.status_code >= 400:
            raise SandboxError(f"{method} /_sandbox/{path}: {data.get('error', response.text)}")
        return data

    # -- inspection --------------------------------------------------------------------

    def transactions(self) -> list[dict[str, Any]]:
        """Every transaction, newest first."""
        result: list[dict[str, Any]] = self._call("GET", "transactions")["transactions"]
        return result

    def transaction(self, token: str) -> dict[str, Any]:
        """One transaction by its creation token; raises ``SandboxError`` if unknown."""
        result: dict[str, Any] = self._call("GET", f"transactions/{token}")["transaction"]
        return result

    def callbacks(self, token: Optional[str] = None) -> list[dict[str, Any]]:
        """The callback delivery log (every attempt), optionally for one transaction."""
        params = {"token": token} if token else None
        result: list[dict[str, Any]] = self._call("GET", "callbacks", params=params)["callbacks"]
        return result

    def balance(self) -> int:
        """The merchant balance in XOF."""
        return int(self._call("GET", "balance")["balance"])

    def faults(self) -> list[dict[str, Any]]:
        """The faults still planned."""
        result: list[dict[str, Any]] = self._call("GET", "faults")["faults"]
        return result

    def wallet_otps(
        self, phone: Optional[str] = None, amount: Optional[int] = None
    ) -> list[dict[str, Any]]:
        """The LigdiCash Wallet OTPs texted and not yet used, newest first."""
        params: dict[str, Any] = {}
        if phone is not None:
            params["phone"] = phone
        if amount is not None:
            params["amount"] = amount
        result: list[dict[str, Any]] = self._call("GET", "wallet-otps", params=params)[
            "wallet_otps"
        ]
        return result

    def wallet_otp(self, phone: str, amount: int) -> str:
        """The OTP the wallet ``phone`` was last texted for ``amount`` (what the customer
        reads on their phone); raises ``SandboxError`` if none is waiting."""
        otps = self.wallet_otps(phone, amount)
        if not otps:
            raise SandboxError(f"no wallet OTP waiting for {phone} and {amount} XOF")
        return str(otps[0]["otp"])

    # -- steering ----------------------------------------------------------------------

    def set_status(self, token: str, status: str) -> dict[str, Any]:
        """Force a status (``completed``, ``nocompleted`` or its documented spelling
        ``notcompleted``, ``pending``); final ones call back."""
        result: dict[str, Any] = self._call(
            "POST", f"transactions/{token}/status", json={"status": status}
        )["transaction"]
        return result

    def approve(self, token: str) -> dict[str, Any]:
        """The customer approves a pending transaction (it completes and calls back)."""
        result: dict[str, Any] = self._call("POST", f"transactions/{token}/approve")["transaction"]
        return result

    def redeliver(self, token: str) -> dict[str, Any]:
        """Send the callbacks of a settled transaction again (both encodings, the same
        callback token and hash, whatever its callback mode); raises ``SandboxError`` while it
        is pending or when it has no ``callback_url``."""
        result: dict[str, Any] = self._call("POST", f"transactions/{token}/callbacks")[
            "transaction"
        ]
        return result

    def set_mode(
        self, token: str, *, callback: Optional[str] = None, pending_forever: Optional[bool] = None
    ) -> dict[str, Any]:
        """Change the callback mode (``normal``, ``none``, ``delay:<ms>``) or pending-forever."""
        body: dict[str, Any] = {}
        if callback is not None:
            body["callback"] = callback
        if pending_forever is not None:
            body["pending_forever"] = pending_forever
        result: dict[str, Any] = self._call("POST", f"transactions/{token}/mode", json=body)[
            "transaction"
        ]
        return result

    def add_fault(
        self,
        kind: str,
        count: int = 1,
        path: Optional[str] = None,
        latency_ms: Optional[int] = None,
    ) -> dict[str, Any]:
        """Plan ``count`` API failures of ``kind`` (on paths containing ``path``)."""
        body: dict[str, Any] = {"kind": kind, "count": count}
        if path is not None:
            body["path"] = path
        if latency_ms is not None:
            body["latency_ms"] = latency_ms
        result: dict[str, Any] = self._call("POST", "faults", json=body)["fault"]
        return result

    def clear_faults(self) -> None:
        """Forget the planned faults."""
        self._call("DELETE", "faults")

    def set_balance(self, balance: int) -> int:
        """Replace the merchant balance."""
        return int(self._call("POST", "balance", json={"balance": balance})["balance"])

    def reset(self) -> None:
        """Wipe transactions, callbacks and faults; restore the balance."""
        self._call("POST", "reset")

    # -- waiting -----------------------------------------------------------------------

    def wait_for_callbacks(
        self,
        n: int,
        timeout: float = 5.0,
        *,
        token: Optional[str] = None,
        delivered: bool = True,
    ) -> list[dict[str, Any]]:
        """Wait until ``n`` callback deliveries succeeded (or, with ``delivered=False``,
        were attempted) and return those log entries; raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [e for e in self.callbacks(token) if e["delivered"] or not delivered]
            if len(entries) >= n:
                return entries
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(entries)} of {n} callbacks after {timeout} s")
            time.sleep(0.02)

    def wait_for_status(self, token: str, status: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the transaction reaches ``status``; raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.transaction(token)
            if record["status"] == status:
                return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"still {record['status']!r} after {timeout} s")
            time.sleep(0.02)
