"""The payment lifecycle: creating transactions, settling them, announcing settlements.

The engine is the one place that changes transactions. HTTP layers (API, hosted page,
control API) translate requests into engine calls and engine results into responses.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any, Optional

from .._callbacks import callback_hash
from . import _codes, _documented, _operators
from ._callbacks import CallbackDispatcher, CallbackEvent
from ._config import SandboxConfig
from ._operators import Operator
from ._record import CallbackMode, Transaction, truthy
from ._requests import PayinRequest, Refused, parse_payin, parse_payout
from ._scheduler import Scheduler
from ._store import DuplicateTransaction, InsufficientBalance, Store
from ._tokens import make_token, now_text
from ._views import CREATE_TEXT, callback_fields, create_answer, status_answer
from ._wallet import WalletOtps

FINAL = ("completed", "nocompleted")
STATUSES = ("pending", *FINAL)
KINDS = ("payin", "client_payout", "merchant_payout")
WALLET = _operators.WALLET


class Engine:
    """Owns the store, the callback dispatcher and the settlement scheduler."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path, config.balance)
        self.dispatcher = CallbackDispatcher(
            self.store,
            attempts=config.callback_attempts,
            backoff=config.callback_backoff,
            timeout=config.callback_timeout,
        )
        self._secret = secrets.token_bytes(32)
        self.wallet_otps = WalletOtps(config.wallet_otp_ttl)
        self._cache: dict[str, tuple[bytes, str, Optional[float]]] = {}
        self._version = 0
        self.scheduler = Scheduler(self._settle_due)
        for token, due in self.store.due():
            self.scheduler.schedule(token, due)

    def close(self) -> None:
        """Stop background work and close the database."""
        self.scheduler.close()
        self.dispatcher.close()
        self.store.close()

    def reset(self) -> None:
        """Wipe transactions, callbacks and planned settlements; restore the balance."""
        self.scheduler.clear()
        self.dispatcher.forget_pending()
        self.wallet_otps.clear()
        self.store.reset()
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._cache.clear()

    # -- creation ----------------------------------------------------------------------

    def _new_record(self, new_id: int, kind: str, flow: str, **fields: Any) -> Transaction:
        custom_data = fields.get("custom_data", {})
        return Transaction(
            id=new_id,
            token=make_token(new_id, self._secret),
            kind=kind,
            flow=flow,
            status="pending",
            request_id=self._request_id(new_id),
            created_at=now_text(),
            callback_mode=CallbackMode.parse(custom_data.get("sandbox_callback")),
            pending_forever=truthy(custom_data.get("sandbox_pending_forever")),
            **fields,
        )

    def _request_id(self, new_id: int) -> str:
        """LigdiCash's request id: ``P`` and digits in the documented pages
        (``P2777636082026``), an opaque hex string in the older shapes."""
        if self.config.wire == "legacy":
            return uuid.uuid4().hex[:20].upper()
        return f"P{new_id:07d}{secrets.randbelow(10**6):06d}"

    def _plan(self, request_delay: Optional[float], status: Optional[str]) -> dict[str, Any]:
        if status is None or request_delay is None:
            return {"settle_at": None, "settle_status": None}
        return {"settle_at": time.time() + max(request_delay, 0.0), "settle_status": status}

    def _payin_plan(self, req: PayinRequest) -> dict[str, Any]:
        operator = req.operator
        if req.flow == "hosted" or operator is None:
            return self._plan(None, None)
        if operator.mode == "otp":
            if req.otp == _operators.VALID_OTP:
                return self._plan(self.config.otp_delay, "completed")
            if req.otp == _operators.DECLINED_OTP:
                return self._plan(self.config.otp_delay, "nocompleted")
            return self._plan(None, None)
        if operator.mode == "redirect":  # settles when the customer pays on the page
            return self._plan(None, None)
        declined = req.customer == _operators.APPROVAL_DECLINED
        return self._plan(self.config.approval_delay, "nocompleted" if declined else "completed")

    def create_payin(self, body: Any, flow: str, page_root: str) -> dict[str, Any]:
        """Create a hosted or direct payin; returns the JSON answer (success or refusal)."""
        try:
            req = parse_payin(body, flow, self.config.platform)
        except Refused as refused:
            return refused.answer
        direct_operator = req.operator if flow == "direct" else None
        fields = {
            "amount": req.amount,
            "currency": req.currency,
            "description": req.description,
            "customer": req.customer,
            "operator_id": direct_operator.id if direct_operator else "",
            "operator_name": direct_operator.name if direct_operator else "",
            "external_id": req.external_id,
            "custom_data": req.custom_data,
            "details": req.details,
            "callback_url": req.callback_url,
            "return_url": req.return_url,
            "cancel_url": req.cancel_url,
            **self._payin_plan(req),
        }
        try:
            record = self.store.create_transaction(
                lambda new_id: self._new_record(new_id, "payin", flow, **fields)
            )
        except ValueError as exc:  # bad sandbox_callback mode
            return _codes.refusal("payin", _codes.MISSING_KEY["payin"], str(exc))
        self._after_create(record)
        if flow == "hosted" or (direct_operator is not None and direct_operator.mode == "redirect"):
            # A redirect-mode operator's response_text is where to send the customer (the
            # operator's portal on the real API; the sandbox's own page, that operator only).
            text = f"{page_root}pay/invoice/{record.token}"
        else:
            text = CREATE_TEXT["direct"]
        return create_answer(record, text)

    # -- LigdiCash Wallet (v02) ---------------------------------------------------------

    def send_wallet_otp(self, phone: str, amount: str) -> dict[str, Any]:
        """``debitotp/{phone}/{amount}``: text the wallet an OTP; ``{"error", "message"}``."""
        number = _operators.normalise_number(phone)
        if number != phone.strip() or not _operators.is_ligdicash_customer(number):
            return {"error": True, "message": "This number has no LigdiCash wallet"}
        if not amount.isdigit() or not 0 < int(amount) <= 10**12:
            return {"error": True, "message": "The amount must be a whole number of XOF"}
        self.wallet_otps.issue(number, int(amount))
        return {"error": False, "message": "OTP sent. Please check your phone."}

    def create_wallet_payin(self, body: Any) -> dict[str, Any]:
        """``debitwallet/withotp``: pay from a LigdiCash wallet with the OTP it was texted.

        No wallet: Code14; wrong (or never texted) OTP: Code15, the OTP stays usable;
        right but expired: Code16. A right OTP is used up and the payin settles
        ``completed`` after ``otp_delay``.
        """
        try:
            req = parse_payin(body, "wallet", self.config.platform)
        except Refused as refused:
            return refused.answer
        if not _operators.is_ligdicash_customer(req.customer):
            detail = "Wrong wallet credentials: this number has no LigdiCash wallet"
            return _codes.refusal("payin", _codes.WRONG_WALLET_CREDENTIALS, detail)
        check = self.wallet_otps.spend(req.customer, req.amount, req.otp)
        if check == "wrong":
            return _codes.refusal("payin", _codes.OTP_REFUSED, "Wrong OTP")
        if check == "expired":
            return _codes.refusal("payin", _codes.EXPIRED_OTP, "Expired OTP")
        fields = {
            "amount": req.amount,
            "currency": req.currency,
            "description": req.description,
            "customer": req.customer,
            "operator_id": WALLET.id,
            "operator_name": WALLET.name,
            "external_id": req.external_id,
            "custom_data": req.custom_data,
            "details": {**req.details, "otp_valid": True},
            "callback_url": req.callback_url,
            **self._plan(self.config.otp_delay, "completed"),
        }
        try:
            record = self.store.create_transaction(
                lambda new_id: self._new_record(new_id, "payin", "wallet", **fields)
            )
        except ValueError as exc:  # bad sandbox_callback mode
            return _codes.refusal("payin", _codes.MISSING_KEY["payin"], str(exc))
        self._after_create(record)
        return create_answer(record, CREATE_TEXT["wallet"])

    def create_payout(self, body: Any, kind: str) -> dict[str, Any]:
        """Create a client or merchant payout; returns the JSON answer."""
        family: _codes.Family = "client_payout" if kind == "client_payout" else "merchant_payout"
        try:
            req = parse_payout(body, kind)
        except Refused as refused:
            return refused.answer
        operator = _operators.operator_for(req.customer)
        if kind == "client_payout" and not _operators.is_ligdicash_customer(req.customer):
            detail = "The customer does not exist on LigdiCash"
            return _codes.refusal(family, _codes.CUSTOMER_DOES_NOT_EXIST, detail)
        if operator is None:
            detail = "The recipient's operator could not be identified"
            return _codes.refusal(family, _codes.RECIPIENT_OPERATOR_NOT_IDENTIFIED, detail)
        if req.to_wallet:
            operator = WALLET
        failing = req.customer == _operators.PAYOUT_FAILS
        delay = (
            self.config.client_payout_delay
            if kind == "client_payout"
            else self.config.merchant_payout_delay
        )
        external_ref = req.custom_data.get("transaction_id")
        fields = {
            "amount": req.amount,
            "description": req.description,
            "customer": req.customer,
            "operator_id": operator.id,
            "operator_name": operator.name,
            "custom_data": req.custom_data,
            "details": req.details,
            "callback_url": req.callback_url,
            "dedup_key": f"{kind}:{external_ref}" if external_ref not in (None, "") else None,
            **self._plan(delay, "nocompleted" if failing else "completed"),
        }
        try:
            record = self.store.create_transaction(
                lambda new_id: self._new_record(new_id, kind, kind, **fields), debit=req.amount
            )
        except DuplicateTransaction:
            detail = f"A transaction with transaction_id {external_ref!r} already exists"
            return _codes.refusal(family, _codes.DUPLICATE[kind], detail)
        except InsufficientBalance:
            detail = "The merchant balance is too low for this payout"
            return _codes.refusal(family, _codes.BALANCE_LOW[kind], detail)
        except ValueError as exc:
            return _codes.refusal(family, _codes.MISSING_KEY[kind], str(exc))
        self._after_create(record)
        return create_answer(record, CREATE_TEXT[kind])

    def _after_create(self, record: Transaction) -> None:
        if record.settle_at is not None and not record.pending_forever:
            self.scheduler.schedule(record.token, record.settle_at)

    # -- status ------------------------------------------------------------------------

    def confirm(self, kinds: str | tuple[str, ...], token: str) -> bytes:
        """The JSON answer of a status call for a transaction of one of ``kinds``, as bytes
        (cached until the transaction changes); not-found for a token of another kind."""
        if isinstance(kinds, str):
            kinds = (kinds,)
        cached = self._cache.get(token)
        if cached is not None and (cached[2] is None or cached[2] > time.time()):
            return cached[0] if cached[1] in kinds else self._not_found()
        version = self._version
        record = self.store.get(token)
        if record is None or record.kind not in kinds:
            return self._not_found()
        kind = record.kind
        if self._settle_if_due(record):
            return self.confirm(kinds, token)
        body = json.dumps(self._status_answer(record)).encode()
        due = record.settle_at if record.status == "pending" else None
        if version == self._version:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (body, kind, None if record.pending_forever else due)
        return body

    def _status_answer(self, record: Transaction) -> dict[str, Any]:
        if self.config.wire == "legacy":
            return status_answer(record)
        return _documented.status_answer(record, self._wire_hash(record))

    def _wire_token(self, record: Transaction) -> str:
        """The callback's ``token``: empty for a documented payin ("Always empty")."""
        if self.config.wire == "documented" and record.kind == "payin":
            return ""
        return record.callback_token

    def _wire_hash(self, record: Transaction) -> str:
        return callback_hash(self.config.api_key, self._wire_token(record), self.config.auth_token)

    @staticmethod
    def _not_found() -> bytes:
        detail = "Invoice not found"
        return json.dumps(_codes.refusal("status", _codes.INVOICE_NOT_FOUND, detail)).encode()

    # -- settlement --------------------------------------------------------------------

    def _settle_if_due(self, record: Transaction) -> bool:
        due = record.settle_at
        if record.status != "pending" or due is None or record.pending_forever:
            return False
        if due > time.time():
            return False
        # True even when set_status finds the work done: the scheduler's thread may have
        # settled it between our read and our write, and the caller must read it again
        # rather than answer with the stale pending record.
        self.set_status(record.token, record.settle_status or "completed")
        return True

    def _settle_due(self, token: str) -> None:
        record = self.store.get(token)
        if record is not None:
            self._settle_if_due(record)

    def set_status(
        self, token: str, status: str, operator: Optional[Operator] = None, *, notify: bool = True
    ) -> bool:
        """Move a transaction to ``status``; a final status fires the callbacks.

        Returns False when the transaction is unknown or already in that status.
        """
        status = "nocompleted" if status == "notcompleted" else status  # the documented word
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.store.lock:
            record = self.store.get(token)
            if record is None or record.status == status:
                return False
            changes: dict[str, Any] = {"status": status, "settle_at": None, "settle_status": None}
            if operator is not None:
                changes.update(operator_id=operator.id, operator_name=operator.name)
            if status in FINAL:
                changes["settled_at"] = now_text()
                changes["callback_token"] = make_token(record.id, self._secret, callback=1)
                if status == "completed":
                    op_id = changes.get("operator_id") or record.operator_id or "TX"
                    changes["transaction_id"] = f"{op_id}.{time.strftime('%y%m%d.%H%M')}." + (
                        secrets.token_hex(4).upper()
                    )
            else:
                changes.update(settled_at="", callback_token="", transaction_id="")
            if not self.store.update(token, only_if_status=record.status, **changes):
                return False
            self._move_money(record, record.status, status)
            record = record.replace(**changes)
        self._changed()
        if status in FINAL and notify:
            self._announce(record)
        return True

    def _move_money(self, record: Transaction, old: str, new: str) -> None:
        amount = record.amount
        if record.kind == "payin":
            if new == "completed":
                self.store.adjust_balance(amount)
            elif old == "completed":
                self.store.adjust_balance(-amount)
        elif new == "nocompleted":  # payouts are debited at creation, refunded on failure
            self.store.adjust_balance(amount)
        elif old == "nocompleted":
            self.store.adjust_balance(-amount)

    def _announce(self, record: Transaction, *, redelivery: bool = False) -> None:
        mode = record.callback_mode
        if (mode.kind == "none" and not redelivery) or not record.callback_url:
            return
        delay = 0.0 if redelivery else mode.delay
        token = self._wire_token(record)
        digest = self._wire_hash(record)
        if self.config.wire == "legacy":
            json_body, form_body = callback_fields(record, token, digest)
        else:
            json_body, form_body = _documented.callback_fields(record, token, digest)
        self.dispatcher.dispatch(
            CallbackEvent(record.token, token, record.callback_url, json_body, form_body, delay)
        )

    def redeliver(self, token: str) -> bool:
        """Send the settlement callbacks of a final transaction again (both encodings, same
        callback token and hash), whatever its callback mode; False if it is not final."""
        record = self.store.get(token)
        if record is None or record.status not in FINAL or not record.callback_url:
            return False
        self._announce(record, redelivery=True)
        return True

    # -- control -----------------------------------------------------------------------

    def set_mode(
        self, token: str, callback: Optional[str] = None, pending_forever: Optional[bool] = None
    ) -> Optional[Transaction]:
        """Change a transaction's callback mode or pending-forever flag; returns it.

        Raises ``ValueError`` for an unknown callback mode.
        """
        changes: dict[str, Any] = {}
        if callback is not None:
            changes["callback_mode"] = CallbackMode.parse(callback)
        if pending_forever is not None:
            changes["pending_forever"] = bool(pending_forever)
        if changes:
            self.store.update(token, **changes)
            self._changed()
        record = self.store.get(token)
        if record is not None and pending_forever is False:
            self._after_create(record)
        return record

    def pay_hosted(self, token: str, operator: Operator) -> bool:
        """The customer pays on the hosted page with ``operator``.

        A pending-forever transaction only records the operator and stays pending.
        """
        record = self.store.get(token)
        if record is None or record.status != "pending":
            return False
        if record.pending_forever:
            self.store.update(token, operator_id=operator.id, operator_name=operator.name)
            self._changed()
            return True
        return self.set_status(token, "completed", operator)

    def approve(self, token: str) -> bool:
        """The customer approves (or the operator confirms) a pending transaction."""
        record = self.store.get(token)
        if record is None or record.status != "pending":
            return False
        return self.set_status(token, "completed")
