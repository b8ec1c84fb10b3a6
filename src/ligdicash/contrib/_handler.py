"""The framework-neutral callback processing every integration (and your own code) uses.

:class:`CallbackProcessor` turns a raw callback request into at most one call of your
handler, only after confirmation::

    parse → (hash check) → lookup → claim → status call with the stored token
          → compare status/amount/custom_data → handler(transaction) → mark done

The steps are written once, as a generator of *effects* (call the lookup, use the store,
fetch the status, call the handler, wait); :meth:`CallbackProcessor.process` performs them
synchronously and :meth:`CallbackProcessor.aprocess` with ``await`` (sync callables and the
SQLite store then run in a worker thread). The two cannot drift apart.

Every outcome is logged on ``logging.getLogger("ligdicash.callbacks")`` without secrets
(token shortened, hash withheld, phone masked).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, Union, cast

from .._callbacks import Callback, parse_callback
from .._confirm import check_confirmation, check_confirmation_inputs
from .._exceptions import CallbackMismatchError, InvalidCallbackError, LigdicashError
from .._idempotency import (
    Claim,
    IdempotencyStore,
    ReleaseState,
    SQLiteIdempotencyStore,
)
from .._models import Transaction
from .._operations import TransactionType
from .._wire import mask_phone
from ._types import (
    ClientLike,
    ExpectedTransaction,
    Lookup,
    ProcessResult,
    TransactionHandler,
    event_key,
)

if TYPE_CHECKING:
    pass

__all__ = ["CallbackProcessor"]

logger = logging.getLogger("ligdicash.callbacks")
_MAX_LOGGED = 2000


# -- effects: what the flow asks its driver to do ------------------------------------------
@dataclass(frozen=True)
class _CallLookup:
    callback: Callback


@dataclass(frozen=True)
class _StoreOp:
    method: Literal["claim", "complete", "release"]
    key: str = ""
    claim: Optional[Claim] = None
    state: ReleaseState = "unconfirmed"
    note: str = ""


@dataclass(frozen=True)
class _Fetch:
    token: str
    type: TransactionType


@dataclass(frozen=True)
class _CallHandler:
    handler: TransactionHandler
    transaction: Transaction


@dataclass(frozen=True)
class _Wait:
    seconds: float


_Effect = Union[_CallLookup, _StoreOp, _Fetch, _CallHandler, _Wait]
_Flow = Generator[_Effect, Any, ProcessResult]


class CallbackProcessor:
    """Parse, authenticate, deduplicate and confirm callbacks; run your handler once.

    Args:
        lookup: ``lookup(callback) -> ExpectedTransaction | None``: find what you stored at
            creation, typically by ``callback.order_id`` (your
            ``custom_data["transaction_id"]``). ``None`` means "not mine": the callback
            is refused. May be ``async`` (with :meth:`aprocess`).
        handler: ``handler(transaction)``: called once per confirmed *completed* event,
            after the status call agreed on status, amount and ``custom_data``. Deliver
            the order here. If it raises, the event is released and a later copy or
            :meth:`reconcile` runs it again, so make it transactional. May be ``async``.
        on_cancelled: optional, the same for confirmed *cancelled* events.
        client: a ``Client`` (or ``AsyncClient`` for :meth:`aprocess`); default: the
            module-level client built from ``ligdicash.api_key`` etc.
        store: where claims live; default ``SQLiteIdempotencyStore()`` (a file in the
            working directory), safe across processes.
        verify_hash: also require a valid ``hash`` field (refusing callbacks without one).
            Only if your account's callbacks carry it; it is a defence in depth.
        api_key, auth_token: for ``verify_hash``; default: the client's.
        lease_seconds: how long a claim is exclusive; must exceed a status call with its
            retries plus your handler (default 300 s).
        busy_wait: how long a copy that finds the event claimed waits for the other copy
            to finish (default 60 s): if that one fails to confirm, this one takes over.
        on_result: called with every :class:`ProcessResult` (metrics, tests).
    """

    def __init__(
        self,
        *,
        lookup: Lookup,
        handler: TransactionHandler,
        on_cancelled: Optional[TransactionHandler] = None,
        client: Optional[ClientLike] = None,
        store: Optional[IdempotencyStore] = None,
        verify_hash: bool = False,
        api_key: Optional[str] = None,
        auth_token: Optional[str] = None,
        lease_seconds: float = 300.0,
        busy_wait: float = 60.0,
        on_result: Optional[Callable[[ProcessResult], Any]] = None,
    ) -> None:
        self.lookup = lookup
        self.handler = handler
        self.on_cancelled = on_cancelled
        self.client = client
        self.store: IdempotencyStore = store if store is not None else SQLiteIdempotencyStore()
        self.verify_hash = verify_hash
        self._api_key = api_key
        self._auth_token = auth_token
        self.lease_seconds = lease_seconds
        self.busy_wait = busy_wait
        self.on_result = on_result

    # -- public entry points ---------------------------------------------------------------
    def process(self, body: bytes, content_type: str) -> ProcessResult:
        """Process one raw callback request, synchronously. Never raises."""
        return self._run_sync(self._body_flow(body, content_type))

    def process_callback(self, callback: Callback) -> ProcessResult:
        """Process an already parsed callback, synchronously. Never raises."""
        return self._run_sync(self._callback_flow(callback))

    def reconcile(self, expected: ExpectedTransaction) -> ProcessResult:
        """The polling fallback: check the status now and process a final one exactly once.

        Use it from a periodic job for transactions still unpaid after a while (or when
        the callback cannot reach you, as on ``localhost``). Shares the callbacks' keys,
        so a callback and a poll never both run the handler. Never raises.
        """
        return self._run_sync(self._reconcile_flow(expected))

    async def aprocess(self, body: bytes, content_type: str) -> ProcessResult:
        """:meth:`process` for async apps. Never raises."""
        return await self._run_async(self._body_flow(body, content_type))

    async def aprocess_callback(self, callback: Callback) -> ProcessResult:
        """:meth:`process_callback` for async apps. Never raises."""
        return await self._run_async(self._callback_flow(callback))

    async def areconcile(self, expected: ExpectedTransaction) -> ProcessResult:
        """:meth:`reconcile` for async apps. Never raises."""
        return await self._run_async(self._reconcile_flow(expected))

    # -- the flows (no I/O here) -----------------------------------------------------------
    def _credentials(self) -> tuple[str, str]:
        if self._api_key is not None and self._auth_token is not None:
            return self._api_key, self._auth_token
        settings = self._client()._settings
        return settings.api_key, settings.auth_token

    def _client(self) -> ClientLike:
        if self.client is not None:
            return self.client
        from .._facade import default_client

        return default_client()

    def _body_flow(self, body: bytes, content_type: str) -> _Flow:
        try:
            callback = parse_callback(body, content_type)
        except InvalidCallbackError as exc:
            logger.warning(
                "callback refused: unreadable (%s, %d bytes, %s)",
                exc.message,
                len(body) if isinstance(body, (bytes, bytearray)) else -1,
                content_type or "no content type",
            )
            return ProcessResult("refused", "invalid_callback")
        return (yield from self._callback_flow(callback))

    def _callback_flow(self, callback: Callback) -> _Flow:
        shown = repr(callback.redacted())
        if len(shown) > _MAX_LOGGED:  # a body can be 256 KiB; a log line should not
            shown = shown[:_MAX_LOGGED] + "...(truncated)"
        logger.info("callback received (%s): %s", callback.encoding, shown)
        if self.verify_hash:
            api_key, auth_token = self._credentials()
            try:
                callback.verify_hash(api_key=api_key, auth_token=auth_token)
            except InvalidCallbackError as exc:
                logger.warning("callback refused: %s", exc.message)
                return ProcessResult("refused", exc.code)
        if not callback.is_final:
            logger.info("callback ignored: status %r is not final", callback.raw_status)
            return ProcessResult("ignored", "not_final")
        try:
            expected = yield _CallLookup(callback)
        except Exception:
            logger.exception("callback failed: the lookup raised")
            return ProcessResult("failed", "lookup_error")
        if expected is None:
            logger.warning("callback refused: unknown transaction (order_id %r)", callback.order_id)
            return ProcessResult("refused", "unknown_transaction")
        if not isinstance(expected, ExpectedTransaction):
            logger.error("callback failed: the lookup must return an ExpectedTransaction or None")
            return ProcessResult("failed", "lookup_error")
        try:
            check_confirmation_inputs(callback, expected.token)
        except LigdicashError as exc:
            logger.error("callback failed: %s", exc.message)
            return ProcessResult("failed", "lookup_error")
        key = event_key(expected, callback.status)
        claim = yield from self._claim(key)
        if claim is None or not claim.acquired:
            return self._not_acquired(key, claim)
        try:
            transaction = yield _Fetch(expected.token, expected.type)
        except Exception as exc:
            return (yield from self._unconfirmed(claim, exc))
        try:
            check_confirmation(
                transaction,
                callback,
                expected_amount=expected.amount,
                expected_transaction_id=expected.transaction_id,
            )
        except CallbackMismatchError as exc:
            yield from self._release(claim, "unconfirmed", f"mismatch:{exc.field}")
            logger.warning("callback refused: %s [%s]", exc.message, key)
            return ProcessResult("refused", f"mismatch:{exc.field}", key, transaction)
        return (yield from self._handle(claim, transaction))

    def _reconcile_flow(self, expected: ExpectedTransaction) -> _Flow:
        try:
            transaction = yield _Fetch(expected.token, expected.type)
        except Exception as exc:
            reason = exc.code if isinstance(exc, LigdicashError) else type(exc).__name__
            logger.warning("poll unconfirmed: the status call failed (%s)", reason)
            return ProcessResult("unconfirmed", reason)
        if not transaction.is_final:
            return ProcessResult("unconfirmed", "not_final", transaction=transaction)
        key = event_key(expected, transaction.status)
        try:
            check_confirmation(
                transaction,
                expected_amount=expected.amount,
                expected_transaction_id=expected.transaction_id,
            )
        except CallbackMismatchError as exc:
            logger.warning("poll refused: %s [%s]", exc.message, key)
            return ProcessResult("refused", f"mismatch:{exc.field}", key, transaction)
        claim = yield from self._claim(key)
        if claim is None or not claim.acquired:
            return self._not_acquired(key, claim)
        return (yield from self._handle(claim, transaction))

    def _claim(self, key: str) -> Generator[_Effect, Any, Optional[Claim]]:
        deadline = time.monotonic() + self.busy_wait
        delay = 0.01
        while True:
            try:
                claim: Claim = yield _StoreOp("claim", key)
            except Exception:
                logger.exception("callback failed: the idempotency store raised [%s]", key)
                return None
            if claim.state != "busy" or time.monotonic() >= deadline:
                return claim
            yield _Wait(delay)
            delay = min(delay * 2, 0.25)

    def _not_acquired(self, key: str, claim: Optional[Claim]) -> ProcessResult:
        if claim is None:
            return ProcessResult("failed", "store_error", key)
        if claim.state == "done":
            logger.info("callback duplicate: already processed [%s]", key)
            return ProcessResult("duplicate", "done", key)
        logger.info("callback left to the worker holding it [%s]", key)
        return ProcessResult("in_progress", "busy", key)

    def _release(
        self, claim: Claim, state: ReleaseState, note: str
    ) -> Generator[_Effect, Any, None]:
        try:
            yield _StoreOp("release", claim=claim, state=state, note=note)
        except Exception:
            logger.exception("could not release the claim [%s]", claim.key)

    def _unconfirmed(self, claim: Claim, exc: BaseException) -> _Flow:
        reason = exc.code if isinstance(exc, LigdicashError) else type(exc).__name__
        yield from self._release(claim, "unconfirmed", reason)
        logger.warning(
            "callback unconfirmed: the status call failed (%s); left for the next copy or "
            "polling [%s]",
            reason,
            claim.key,
        )
        return ProcessResult("unconfirmed", reason, claim.key)

    def _handle(self, claim: Claim, transaction: Transaction) -> _Flow:
        handler = self.handler if transaction.is_completed else self.on_cancelled
        if handler is not None:
            try:
                yield _CallHandler(handler, transaction)
            except Exception:
                yield from self._release(claim, "failed", "handler_error")
                logger.exception(
                    "callback failed: the handler raised; released for a retry [%s]", claim.key
                )
                return ProcessResult("failed", "handler_error", claim.key, transaction)
        try:
            yield _StoreOp("complete", claim=claim, note=transaction.status)
        except Exception:
            logger.exception(
                "the handler ran but the event could not be marked done [%s]", claim.key
            )
            return ProcessResult("failed", "store_error", claim.key, transaction)
        logger.info(
            "callback processed: %s, amount %s, customer %s [%s]",
            transaction.status,
            transaction.amount,
            mask_phone(transaction.customer),
            claim.key,
        )
        return ProcessResult("processed", transaction.status, claim.key, transaction)

    # -- drivers ---------------------------------------------------------------------------
    def _perform_store(self, effect: _StoreOp) -> Any:
        if effect.method == "claim":
            return self.store.claim(effect.key, lease_seconds=self.lease_seconds)
        assert effect.claim is not None
        if effect.method == "complete":
            return self.store.complete(effect.claim, note=effect.note)
        return self.store.release(effect.claim, state=effect.state, note=effect.note)

    def _perform_sync(self, effect: _Effect) -> Any:
        if isinstance(effect, _StoreOp):
            return self._perform_store(effect)
        if isinstance(effect, _Wait):
            time.sleep(effect.seconds)
            return None
        value: Any
        if isinstance(effect, _Fetch):
            value = self._client().get_transaction(effect.token, effect.type)
        elif isinstance(effect, _CallLookup):
            value = self.lookup(effect.callback)
        else:
            value = effect.handler(effect.transaction)
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise TypeError("an async lookup, handler or client needs aprocess()/areconcile()")
        return value

    async def _perform_async(self, effect: _Effect) -> Any:
        import anyio.to_thread

        if isinstance(effect, _StoreOp):
            return await anyio.to_thread.run_sync(self._perform_store, effect)
        if isinstance(effect, _Wait):
            await anyio.sleep(effect.seconds)
            return None
        function: Callable[[], Any]
        target: Any
        if isinstance(effect, _Fetch):
            client = self._client()
            target = client.get_transaction

            def function() -> Any:
                return client.get_transaction(effect.token, effect.type)

        elif isinstance(effect, _CallLookup):
            target = self.lookup

            def function() -> Any:
                return self.lookup(effect.callback)

        else:
            target = effect.handler

            def function() -> Any:
                return effect.handler(effect.transaction)

        if _is_async_callable(target):
            return await function()
        value = await anyio.to_thread.run_sync(function)
        if inspect.isawaitable(value):  # e.g. a lambda returning a coroutine
            return await value
        return value

    def _finish(self, result: ProcessResult) -> ProcessResult:
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                logger.exception("on_result raised")
        return result

    def _run_sync(self, flow: _Flow) -> ProcessResult:
        try:
            effect = next(flow)
            while True:
                try:
                    value = self._perform_sync(effect)
                except Exception as exc:
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(value)
        except StopIteration as stop:
            return self._finish(cast(ProcessResult, stop.value))
        except Exception:
            logger.exception("callback processing failed unexpectedly")
            return self._finish(ProcessResult("failed", "internal_error"))

    async def _run_async(self, flow: _Flow) -> ProcessResult:
        try:
            effect = next(flow)
            while True:
                try:
                    value = await self._perform_async(effect)
                except Exception as exc:
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(value)
        except StopIteration as stop:
            return self._finish(cast(ProcessResult, stop.value))
        except Exception:
            logger.exception("callback processing failed unexpectedly")
            return self._finish(ProcessResult("failed", "internal_error"))


def _is_async_callable(function: Any) -> bool:
    while hasattr(function, "func"):  # functools.partial
        function = function.func
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004
    )
