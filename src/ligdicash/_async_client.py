"""``ligdicash.AsyncClient``: the same account surface as :class:`Client`, awaitable.

It drives the same :func:`ligdicash._pipeline.exchange` generator as the sync client, with
``ligdicash._drive.adrive``; the only difference is the ``send`` it hands it (awaited). Models,
validation, request bytes, response parsing, error mapping and retry policy are shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Optional

import anyio
import anyio.to_thread
import httpx

from ._async_resources import AsyncInvoice, AsyncWithdrawal
from ._base_client import _BaseClient
from ._bulk import DEFAULT_CONCURRENCY, ProgressCallback, TransactionResult, gather_async
from ._callbacks import Callback
from ._confirm import check_confirmation, check_confirmation_inputs
from ._drive import adrive
from ._models import Transaction
from ._operations import RequestSpec, ResultT, TransactionType
from ._polling import make_policy, wait_steps
from ._sharded import ShardedTransport

if TYPE_CHECKING:
    from ._client import Client

# ``ShardedTransport`` moved to ``_sharded``; this import path keeps working.
__all__ = ["AsyncClient", "ShardedTransport"]


class AsyncClient(_BaseClient[AsyncInvoice, AsyncWithdrawal, httpx.AsyncClient]):
    """A LigdiCash account for asyncio code: credentials, platform, one connection pool.

    Same arguments and methods as :class:`Client`, but every network method is a coroutine
    and ``http_client`` is an ``httpx.AsyncClient`` (you close it). Use it with
    ``async with`` or call :meth:`aclose`. With ``store=``, the store calls that record
    each payment run in a worker thread (stores are blocking).

    Raises:
        ConfigurationError: missing credentials, unknown platform, invalid ``base_url``.

    Example::

        async with ligdicash.AsyncClient(api_key=..., auth_token=...) as client:
            tx = await client.get_transaction(token, "payin")
            results = await client.get_transactions(tokens, "payin", concurrency=20)
    """

    _invoice_class = AsyncInvoice
    _withdrawal_class = AsyncWithdrawal

    @classmethod
    def from_client(
        cls, client: Client, *, http_client: Optional[httpx.AsyncClient] = None
    ) -> AsyncClient:
        """An ``AsyncClient`` for the same account as the sync ``client``, for asyncio code
        handed a ``Client`` (``BatchRunner.arun`` does this).

        It shares ``client``'s resolved settings (credentials, platform, ``base_url``,
        timeout, retries, ``on_request``: nothing is read from the environment again) and
        records into its store, which stays ``client``'s to close. It has its own connection
        pool (``http_client``, else a new one that :meth:`aclose` closes): close it when done.

        Example::

            async with ligdicash.AsyncClient.from_client(client) as async_client:
                tx = await async_client.get_transaction(token, "payin")
        """
        twin = cls.__new__(cls)
        twin._start(client._settings, http_client=http_client, store=client.store)
        return twin

    def _new_http(self) -> httpx.AsyncClient:
        # httpcore's single async pool rescans every connection per request: see _sharded.
        return httpx.AsyncClient(transport=ShardedTransport())

    async def get_transaction(self, token: str, type: TransactionType = "payin") -> Transaction:
        """Fetch a transaction's status with the token returned at creation.

        See :meth:`Client.get_transaction`; retried on network errors, 429 and 5xx.

        Raises:
            InvalidTokenError: ``token`` is empty (nothing sent).
            InvalidRequestError: unknown ``type``.
            InvoiceNotFoundError: LigdiCash does not know the token.
            ClientClosedError: the client was closed.
            LigdicashError: any other failure, as a subclass.
        """
        return await self._request(self._status_spec(token, type))

    async def wait_for_transaction(
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

        async def fetch() -> Transaction:
            return await self._request(spec)

        return await adrive(wait_steps(policy, fetch))

    async def get_transactions(
        self,
        tokens: Iterable[str],
        type: TransactionType = "payin",
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Optional[ProgressCallback] = None,
    ) -> list[TransactionResult]:
        """Fetch many transactions' statuses, ``concurrency`` at a time, on this client's pool.

        Returns one :class:`TransactionResult` per token, in the order given: ``.ok`` and
        ``.transaction``, or ``.error`` with the :class:`LigdicashError` that token got (a
        blank token gives ``InvalidTokenError`` without a request). A token given twice is
        fetched once. ``on_progress(done, total)`` is called after each result.

        Raises:
            InvalidRequestError: unknown ``type`` or ``concurrency`` < 1 (nothing sent).
            ClientClosedError: the client was closed.
            Exception: whatever ``on_progress`` raised (the calls in flight are cancelled).
        """

        async def fetch(token: str) -> Transaction:
            return await self.get_transaction(token, type)

        return await gather_async(
            fetch, tokens, type, concurrency=concurrency, on_progress=on_progress
        )

    async def confirm_callback(
        self,
        callback: Callback,
        *,
        token: str,
        type: TransactionType = "payin",
        expected_amount: Optional[int] = None,
        expected_transaction_id: Optional[str] = None,
    ) -> Transaction:
        """Confirm a callback with a status call using the token *stored at creation*.

        Same contract as :meth:`Client.confirm_callback`.

        Raises:
            InvalidRequestError: ``token`` is the callback's own token (nothing sent).
            CallbackMismatchError: a field disagrees (``.field``); do not deliver.
            LigdicashError: the status call failed: the callback is unconfirmed.
        """
        check_confirmation_inputs(callback, token)
        return check_confirmation(
            await self.get_transaction(token, type),
            callback,
            expected_amount=expected_amount,
            expected_transaction_id=expected_transaction_id,
            type=type,
        )

    async def _request(self, spec: RequestSpec[ResultT]) -> ResultT:
        recorder = self._recorder
        if recorder is None:
            return await adrive(self._exchange(spec, self._http.send, asynchronous=True))
        self._check_open(spec)  # a closed client records nothing
        # The store is blocking I/O: run it off the event loop (the same calls as Client).
        payment = await anyio.to_thread.run_sync(recorder.begin, spec)
        try:
            result = await adrive(self._exchange(spec, self._http.send, asynchronous=True))
        except BaseException as exc:
            # Shielded: a cancelled task still records what became of a sent payment.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(recorder.failed, payment, exc)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(recorder.succeeded, payment, result)
        return result

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in). Safe to call twice."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                await self._http.aclose()
            await anyio.to_thread.run_sync(self._close_store)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
