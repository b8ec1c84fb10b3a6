"""``ligdicash.Client``: one account's settings and connection pool, synchronous."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import httpx

from ._base_client import _BaseClient
from ._bulk import DEFAULT_CONCURRENCY, ProgressCallback, TransactionResult, gather_threaded
from ._callbacks import Callback
from ._confirm import check_confirmation, check_confirmation_inputs
from ._drive import drive
from ._models import Transaction
from ._operations import RequestSpec, ResultT, TransactionType
from ._polling import make_policy, wait_steps
from ._resources import Invoice, Withdrawal

__all__ = ["Client"]


class Client(_BaseClient[Invoice, Withdrawal, httpx.Client]):
    """A LigdiCash account: credentials, platform and one reused connection pool.

    Use several clients for several accounts in one process. ``client.Invoice(...)``,
    ``client.Withdrawal(...)`` and ``client.get_transaction(...)`` behave exactly like the
    module-level ones, with this client's settings.

    Args:
        api_key, auth_token: the API project's credentials (fallback: ``LIGDICASH_API_KEY``,
            ``LIGDICASH_AUTH_TOKEN``).
        platform: ``"live"`` (default) or ``"test"`` (``LIGDICASH_PLATFORM``).
        base_url: API root override, e.g. a local sandbox ``http://127.0.0.1:8765/pay/v01/``
            (``LIGDICASH_BASE_URL``). Plain http only for loopback and ``allow_http_hosts``.
        allow_http_hosts: host names plain http may reach, e.g. ``("sandbox",)`` for a
            sandbox container (``LIGDICASH_ALLOW_HTTP_HOSTS=sandbox``); logs a warning once.
            Never LigdiCash's own hosts.
        timeout: seconds (or an ``httpx.Timeout``); default 30 s to read, 5 s to connect.
        max_retries: retries of safe requests (default 2; 0 disables).
        http_client: your own ``httpx.Client`` (proxies, certificates); you close it.
        on_request: called with a :class:`RequestRecord` before each operation is sent.
        store: a :class:`Store` (or its URL, opened and closed by this client) in which
            every payment this client creates is recorded before it is sent, so that a
            :class:`Reconciler` can poll it (``docs/reconciliation.md``). Each creation
            then needs a ``custom_data["transaction_id"]`` not recorded before.

    Raises:
        ConfigurationError: missing credentials, unknown platform, invalid ``base_url``.

    Example::

        with ligdicash.Client(api_key=..., auth_token=...) as client:
            tx = client.get_transaction(token, "payin")
    """

    _invoice_class = Invoice
    _withdrawal_class = Withdrawal

    def _new_http(self) -> httpx.Client:
        return httpx.Client()

    def get_transaction(self, token: str, type: TransactionType = "payin") -> Transaction:
        """Fetch a transaction's status with the token returned at creation.

        ``type`` is ``"payin"``, ``"client_payout"`` or ``"merchant_payout"``. Retried on
        network errors, 429 and 5xx (it moves no money).

        Raises:
            InvalidTokenError: ``token`` is empty (nothing sent).
            InvalidRequestError: unknown ``type``.
            InvoiceNotFoundError: LigdiCash does not know the token.
            LigdicashError: any other failure, as a subclass.
        """
        return self._request(self._status_spec(token, type))

    def wait_for_transaction(
        self,
        token: str,
        type: TransactionType = "payin",
        *,
        timeout: Optional[float] = None,
        interval: Optional[float] = None,
        max_interval: Optional[float] = None,
    ) -> Transaction:
        """Poll the status until the transaction is ``completed`` or ``cancelled``.

        The first check is immediate; the gap then starts at ``interval`` seconds and grows
        by half each time up to ``max_interval``. Defaults follow LigdiCash's advice: for a
        payin 3 s, 30 s and a 300 s ``timeout``; for a payout 30 s, 60 s and 600 s (payouts
        are processed in batches). Against LigdiCash's hosts a payin's ``interval`` is at
        least 3 s, a payout's at least 30 s off a loopback ``base_url``; ``0`` (and the
        payin defaults for payouts) is accepted for a loopback ``base_url`` (a local sandbox).
        Network failures, 5xx and 429 do not end the wait. Returns the final transaction:
        check ``is_completed`` (a cancelled one is returned, not raised).

        Raises:
            WaitTimeoutError: still not final at ``timeout``; ``.transaction`` is the last
                transaction seen (``None`` if no check succeeded).
            InvalidRequestError: bad token, type or timing arguments (nothing sent).
            RequestRefusedError: e.g. ``InvoiceNotFoundError``; raised at once.
            ClientClosedError: the client was closed.
        """
        spec = self._status_spec(token, type)
        policy = make_policy(
            self._settings,
            kind=type,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
        )
        return drive(wait_steps(policy, lambda: self._request(spec)))

    def get_transactions(
        self,
        tokens: Iterable[str],
        type: TransactionType = "payin",
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Optional[ProgressCallback] = None,
    ) -> list[TransactionResult]:
        """Fetch many transactions' statuses, ``concurrency`` at a time, on this client's pool.

        Runs on ``concurrency`` threads sharing this client's connection pool (no event loop
        to manage; safe to call from inside a running loop's thread, though it blocks it).
        Returns one :class:`TransactionResult` per token, in the order given: ``.ok`` and
        ``.transaction``, or ``.error`` with the :class:`LigdicashError` that token got (a
        blank token gives ``InvalidTokenError`` without a request). A token given twice is
        fetched once. ``on_progress(done, total)`` is called in this thread after each result.

        Raises:
            InvalidRequestError: unknown ``type`` or ``concurrency`` < 1 (nothing sent).
            ClientClosedError: the client was closed.
            Exception: whatever ``on_progress`` raised (calls not yet started are dropped).
        """
        return gather_threaded(
            lambda token: self.get_transaction(token, type),
            tokens,
            type,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    def confirm_callback(
        self,
        callback: Callback,
        *,
        token: str,
        type: TransactionType = "payin",
        expected_amount: Optional[int] = None,
        expected_transaction_id: Optional[str] = None,
    ) -> Transaction:
        """Confirm a callback with a status call using the token *stored at creation*.

        Returns the fetched :class:`Transaction` only when its status equals the
        callback's, its amount equals ``expected_amount`` (and the callback's), its
        ``custom_data["transaction_id"]`` equals ``expected_transaction_id`` and its
        ``custom_data`` equals the callback's. Only then deliver (if ``is_completed``).
        A payout's status answer is documented without amount and with ``custom_data``
        ``[]``: for ``type="client_payout"``/``"merchant_payout"`` only what it carries is
        compared (see :func:`ligdicash._confirm.check_confirmation`). The callback's own
        token (empty for a payin) plays no part.

        Raises:
            InvalidRequestError: ``token`` is the callback's own token (nothing sent).
            CallbackMismatchError: a field disagrees (``.field``); do not deliver.
            LigdicashError: the status call failed (e.g. ``APITimeoutError``): the
                callback is unconfirmed, not refused; confirm it again later.
        """
        check_confirmation_inputs(callback, token)
        return check_confirmation(
            self.get_transaction(token, type),
            callback,
            expected_amount=expected_amount,
            expected_transaction_id=expected_transaction_id,
            type=type,
        )

    def _request(self, spec: RequestSpec[ResultT]) -> ResultT:
        recorder = self._recorder
        if recorder is None:
            return drive(self._exchange(spec, self._http.send))
        self._check_open(spec)  # a closed client records nothing
        payment = recorder.begin(spec)  # raises (and nothing is sent) if the store fails
        try:
            result = drive(self._exchange(spec, self._http.send))
        except BaseException as exc:
            recorder.failed(payment, exc)
            raise
        recorder.succeeded(payment, result)
        return result

    def close(self) -> None:
        """Close the connection pool (unless it was passed in). Safe to call twice."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                self._http.close()
            self._close_store()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
