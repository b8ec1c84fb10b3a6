"""``ligdicash.AsyncClient``: the same account surface as :class:`Client`, awaitable.

It drives the same :func:`ligdicash._pipeline.exchange` generator as the sync client, with
``ligdicash._drive.adrive``; the only difference is the ``send`` it hands it (awaited). Models,
validation, request bytes, response parsing, error mapping and retry policy are shared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Callable, Optional, Union

import anyio
import anyio.to_thread
import httpx

from ._async_resources import AsyncInvoice, AsyncWithdrawal
from ._base_client import OnRequest, _BaseClient
from ._bulk import DEFAULT_CONCURRENCY, ProgressCallback, TransactionResult, gather_async
from ._callbacks import Callback
from ._config import TimeoutTypes
from ._confirm import check_confirmation, check_confirmation_inputs
from ._drive import adrive
from ._models import Transaction
from ._operations import RequestSpec, ResultT, TransactionType
from ._polling import make_policy, wait_steps
from ._registry import StoreLike

__all__ = ["AsyncClient"]


#: The default pool: up to SHARDS x PER_SHARD connections (httpx's default total of 100),
#: every one of them kept alive.
SHARDS = 10
PER_SHARD = 10


class _CountedStream(httpx.AsyncByteStream):
    """A response body that tells its shard when it is closed (the connection is free)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Optional[Callable[[], None]] = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small ``httpx.AsyncHTTPTransport`` pools behind one transport.

    Why: httpcore's async pool rescans every connection it holds on each request and each
    response (is it idle? expired? readable? -- a ``poll()`` syscall per idle connection,
    and an O(n^2) count of idle connections), and it closes any connection that falls idle
    while more than ``max_keepalive_connections`` exist. At 50 concurrent calls that is
    either a new TCP connection per request (default limits: ~28x in benchmark (b)) or a
    CPU-bound scan (all 50 kept alive: ~7x). Here each request goes to the least busy of
    ``shards`` pools of ``per_shard`` connections, so every scan stays short and every
    connection is reused (~43x). Sequential use stays on the first pool: one connection.
    The shards share one SSL context and are built on first use.

    Raises whatever the underlying ``httpx.AsyncHTTPTransport`` raises (httpx errors).
    """

    def __init__(self, *, shards: int = SHARDS, per_shard: int = PER_SHARD) -> None:
        if shards < 1 or per_shard < 1:
            raise ValueError("shards and per_shard must be >= 1")
        self._limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self._shards: list[Optional[httpx.AsyncHTTPTransport]] = [None] * shards
        self._load = [0] * shards
        self._ssl_context: Any = None

    def _shard(self, index: int) -> httpx.AsyncHTTPTransport:
        shard = self._shards[index]
        if shard is None:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            shard = httpx.AsyncHTTPTransport(verify=self._ssl_context, limits=self._limits)
            self._shards[index] = shard
        return shard

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        load = self._load
        index = load.index(min(load))
        load[index] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                load[index] -= 1

        try:
            response = await self._shard(index).handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, release)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            if shard is not None:
                await shard.aclose()


def _default_http() -> httpx.AsyncClient:
    """The connection pool an ``AsyncClient`` builds when none is passed in."""
    return httpx.AsyncClient(transport=ShardedTransport())


class AsyncClient(_BaseClient[AsyncInvoice, AsyncWithdrawal]):
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

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        auth_token: Optional[str] = None,
        platform: Optional[str] = None,
        base_url: Optional[str] = None,
        allow_http_hosts: Union[str, Iterable[str], None] = None,
        timeout: TimeoutTypes = None,
        max_retries: Optional[int] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        on_request: Optional[OnRequest] = None,
        store: Optional[StoreLike] = None,
    ) -> None:
        super().__init__(
            store=store,
            api_key=api_key,
            auth_token=auth_token,
            platform=platform,
            base_url=base_url,
            allow_http_hosts=allow_http_hosts,
            timeout=timeout,
            max_retries=max_retries,
            on_request=on_request,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else _default_http()

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

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()
