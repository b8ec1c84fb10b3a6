"""Bulk reconciliation: many status calls, bounded concurrency, one result per token.

Both clients' ``get_transactions`` land here. A batch never fails as a whole because of one
token: every :class:`LigdicashError` (a blank token, an unknown token, a network failure
after the retries) becomes that token's :class:`TransactionResult`. Only a bad argument
(unknown ``type``, ``concurrency`` < 1), a closed client, a bug in the progress callback or
a cancellation stop the batch.

The same token given twice is fetched once; every position gets the same result.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Callable, Optional

from ._exceptions import ClientClosedError, InvalidRequestError, LigdicashError
from ._models import Transaction
from ._operations import status_spec
from ._validation import check_token

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ProgressCallback",
    "TransactionResult",
    "gather_async",
    "gather_threaded",
]

#: Ten status calls in flight: fast, and gentle with LigdiCash's rate limits.
DEFAULT_CONCURRENCY = 10

ProgressCallback = Callable[[int, int], object]


@dataclass(frozen=True)
class TransactionResult:
    """The outcome of one token of a bulk call: a transaction, or the error it got.

    Attributes:
        token: the token as given (results are in the order of the tokens given).
        transaction: the transaction, when the status call succeeded.
        error: the :class:`LigdicashError` this token got (``InvalidTokenError`` for a blank
            token, ``InvoiceNotFoundError``, ``APIConnectionError`` after the retries, ...).
    """

    token: str
    transaction: Optional[Transaction] = None
    error: Optional[LigdicashError] = None

    @property
    def ok(self) -> bool:
        """True when the status call succeeded (whatever the transaction's status)."""
        return self.error is None

    def unwrap(self) -> Transaction:
        """The transaction, or raise the error this token got.

        Raises:
            LigdicashError: the error stored in :attr:`error`.
        """
        if self.error is not None:
            raise self.error
        assert self.transaction is not None
        return self.transaction


class _Batch:
    """The bookkeeping of one batch: which positions each unique token fills, and progress."""

    def __init__(
        self,
        tokens: Iterable[str],
        type: str,
        concurrency: int,
        on_progress: Optional[ProgressCallback],
    ) -> None:
        status_spec("-", type)  # an unknown type is the caller's bug: raise for the batch
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidRequestError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if isinstance(tokens, (str, bytes)):
            raise InvalidRequestError("tokens must be a list of tokens, not a single string")
        given = list(tokens)
        self.total = len(given)
        self.done = 0
        self.on_progress = on_progress
        self.results: list[Optional[TransactionResult]] = [None] * self.total
        self.positions: dict[str, list[int]] = {}
        invalid: list[int] = []
        for index, token in enumerate(given):
            try:
                check_token(token)
            except LigdicashError as exc:
                self.results[index] = TransactionResult(token=token, error=exc)
                invalid.append(index)
            else:
                self.positions.setdefault(token, []).append(index)
        #: Tokens to fetch, each once, in the order first given.
        self.unique = list(self.positions)
        if invalid:
            self.done = len(invalid)
            self._report()

    def record(self, result: TransactionResult) -> None:
        """Store ``result`` at every position of its token and report progress."""
        positions = self.positions[result.token]
        for index in positions:
            self.results[index] = result
        self.done += len(positions)
        self._report()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def in_order(self) -> list[TransactionResult]:
        """The results, in the order the tokens were given."""
        return [result for result in self.results if result is not None]


async def gather_async(
    fetch: Callable[[str], Awaitable[Transaction]],
    tokens: Iterable[str],
    type: str,
    *,
    concurrency: int,
    on_progress: Optional[ProgressCallback] = None,
) -> list[TransactionResult]:
    """Fetch every token with at most ``concurrency`` calls in flight (asyncio).

    ``concurrency`` worker tasks pull tokens from one iterator, so a thousand tokens cost
    ``concurrency`` tasks, not a thousand. Cancelling the caller cancels every worker.

    Raises:
        InvalidRequestError: unknown ``type``, ``concurrency`` < 1, ``tokens`` a string.
        ClientClosedError: the client was closed before or during the batch.
        Exception: whatever ``on_progress`` raised (the other calls are cancelled).
    """
    import asyncio  # here, so that the sync client never pays for importing asyncio

    batch = _Batch(tokens, type, concurrency, on_progress)
    pending = iter(batch.unique)

    async def worker() -> None:
        for token in pending:
            try:
                result = TransactionResult(token=token, transaction=await fetch(token))
            except ClientClosedError:
                raise
            except LigdicashError as exc:
                result = TransactionResult(token=token, error=exc)
            batch.record(result)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(batch.unique)))]
    if workers:
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
    return batch.in_order()


_DONE = object()


def gather_threaded(
    fetch: Callable[[str], Transaction],
    tokens: Iterable[str],
    type: str,
    *,
    concurrency: int,
    on_progress: Optional[ProgressCallback] = None,
) -> list[TransactionResult]:
    """Fetch every token from ``concurrency`` threads sharing one sync client's pool.

    Results are stored and ``on_progress`` is called in the caller's thread, as they arrive.
    When the batch stops early (an error below, ``KeyboardInterrupt``), tokens not yet
    started are dropped and the error is raised once the calls in flight are over.

    Raises:
        InvalidRequestError: unknown ``type``, ``concurrency`` < 1, ``tokens`` a string.
        ClientClosedError: the client was closed before or during the batch.
        Exception: whatever ``on_progress`` raised.
    """
    import queue  # here: only bulk sync calls need it

    batch = _Batch(tokens, type, concurrency, on_progress)
    workers = min(concurrency, len(batch.unique))
    if not workers:
        return batch.in_order()
    lock = threading.Lock()
    pending = iter(batch.unique)
    stop = threading.Event()
    arrived: queue.SimpleQueue[object] = queue.SimpleQueue()

    def worker() -> None:
        try:
            while not stop.is_set():
                with lock:
                    token = next(pending, None)
                if token is None:
                    break
                try:
                    result = TransactionResult(token=token, transaction=fetch(token))
                except LigdicashError as exc:
                    if isinstance(exc, ClientClosedError):
                        raise
                    result = TransactionResult(token=token, error=exc)
                arrived.put(result)
        except BaseException as exc:  # handed to the caller's thread, raised there
            arrived.put(exc)
        finally:
            arrived.put(_DONE)

    # Each thread in a copy of the caller's context (contextvars): a tracing span current
    # in the caller is the parent of every status call's span.
    threads = [
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(worker,),
            name=f"ligdicash-bulk-{n}",
            daemon=True,
        )
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        running = workers
        while running:
            item = arrived.get()
            if isinstance(item, TransactionResult):
                batch.record(item)
            elif isinstance(item, BaseException):
                raise item
            else:  # _DONE
                running -= 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return batch.in_order()
