"""The framework-neutral callback processing every integration (and your own code) uses.

:class:`CallbackProcessor` turns a raw callback request into at most one call of your
handler, only after confirmation::

    parse → (hash check) → lookup → claim → status call with the stored token
          → compare status/amount/custom_data → handler(transaction) → mark done

The steps are written once, as generators of ``ligdicash._drive``'s effects (a
``Blocking`` call of the lookup, the store, the status call or the handler; a ``Sleep``),
driven by ``ligdicash._drive``: :meth:`CallbackProcessor.process` performs them blocking
and :meth:`CallbackProcessor.aprocess` with ``await`` (sync callables and the store then
run in a worker thread). The two cannot drift apart.

The processor holds two small objects and calls them: :class:`~._claims.Claims` (the
event's claim: take, keep alive, release, run the handler and mark done) and, for a store
with an inbox, :class:`~._inbox.CallbackInbox` (keep, process, sweep and purge stored
callbacks).

How long a copy waits for the other follows from the client's timeout and retries
(``_timing``); claims are short leases that a heartbeat renews while the work goes on
(``_heartbeat``), so the last copy standing always either confirms the event or leaves it
claimable, says which, and a dead worker's claim is taken over within seconds.

With a whole :class:`~ligdicash.Store` (every built-in one), the endpoints keep each
callback in its durable inbox before answering 200 (:meth:`CallbackProcessor.accept`),
process it from there (:meth:`CallbackProcessor.process_inbox`) and sweep the ones a dead
worker left behind (:meth:`CallbackProcessor.sweep`): the flows they drive are the
inbox's (``_inbox``).

Every outcome is logged on ``logging.getLogger("ligdicash.callbacks")`` without secrets
(token shortened, hash withheld, phone masked).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from typing import Any, Callable, Optional

from .._callbacks import Callback, parse_callback
from .._confirm import check_confirmation, check_confirmation_inputs
from .._drive import Blocking, Effect, adrive, drive
from .._exceptions import (
    CallbackMismatchError,
    ConfigurationError,
    InvalidCallbackError,
    LigdicashError,
)
from .._models import Transaction
from .._observe import watch_callback
from .._stores import Claim, IdempotencyStore
from .._stores._base import Store
from .._stores._types import InboxEntry
from ._claims import Claims, Flow
from ._heartbeat import Heartbeat
from ._inbox import (
    DEFAULT_INBOX_RETENTION,
    DEFAULT_MAX_PENDING,
    TAKEN,
    CallbackInbox,
    inbox_lease,
)
from ._timing import ClaimTiming, claim_timing
from ._types import (
    ClientLike,
    ExpectedTransaction,
    Lookup,
    ProcessResult,
    TransactionHandler,
    event_key,
)

__all__ = ["CallbackProcessor"]

logger = logging.getLogger("ligdicash.callbacks")
_MAX_LOGGED = 2000


class CallbackProcessor:
    """Parse, authenticate, deduplicate and confirm callbacks; run your handler once.

    Args:
        lookup: ``lookup(callback) -> ExpectedTransaction | None``: find what you stored at
            creation, typically by ``callback.order_id`` (your
            ``custom_data["transaction_id"]``). ``None`` means "not mine": the callback
            is refused. May be ``async`` (with :meth:`aprocess`).
        handler: ``handler(transaction)``: called once per confirmed *completed* event,
            after the status call agreed on status, amount and ``custom_data``. Deliver
            the order here. If it raises, the event is released and a later copy, the
            sweeper or :meth:`reconcile` runs it again. With a store that has ``atomic()``
            (the Django ORM store) a sync handler runs in ONE database transaction with
            the "done" mark: exactly once for its database writes. Elsewhere it is
            at-least-once (a crash after it returned and before "done" runs it again):
            declare an ``event_key`` keyword (``handler(transaction, *, event_key)``) to
            receive the event's stable key and deduplicate your own effects with it.
            May be ``async``.
        on_cancelled: optional, the same for confirmed *cancelled* events.
        client: a ``Client`` (or ``AsyncClient`` for :meth:`aprocess`); default: the
            module-level client built from ``ligdicash.api_key`` etc.
        store: where claims (and, for a whole ``Store``, the callback inbox) live;
            default ``ligdicash.open_store()``: ``LIGDICASH_STORE_URL``, else a SQLite
            file in the working directory (one machine). Several machines need a shared
            one (``postgresql://``, ``redis://``, ``django://``): see docs/stores.md.
        verify_hash: also require a valid ``hash`` field (refusing callbacks without one).
            Only if your account's callbacks carry it; it is a defence in depth.
        api_key, auth_token: for ``verify_hash``, both or neither; default: the client's
            (``client.callback_hash_matches``).
        lease_seconds: how long a claim (and an inbox entry's lease) lasts without a
            heartbeat; the working process renews it every third of that. Default 20 s.
            A store that cannot renew gets the long lease of earlier releases instead:
            the longest status call plus 310 s. See :meth:`timing`.
        busy_wait: how long a copy that finds the event claimed waits for the other copy
            to finish or give it back (then it takes over). Default and minimum: the
            longest status call plus 10 s, so that when the other copy's status call
            fails, this one is still there to confirm the event.
        on_result: called with every :class:`ProcessResult` (metrics, tests).
        max_attempts: after this many leases of one inbox entry that left something to
            do, the entry is marked done as given up, with an ERROR log (default 50).
        max_pending: how many unfinished callbacks the inbox may hold; beyond, the
            endpoints answer 503 without keeping the body (default 10,000; ``None``: no
            bound). Refused, ignored and duplicate callbacks are deleted once finished, so
            with this bound a flood of forged bodies cannot fill the store.
        inbox_retention: seconds a finished inbox entry is kept before the sweeps purge
            it (default 7 days; ``None``: never purged). Exactly-once does not depend on
            it: the event keys hold it.
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
        lease_seconds: Optional[float] = None,
        busy_wait: Optional[float] = None,
        on_result: Optional[Callable[[ProcessResult], Any]] = None,
        max_attempts: int = 50,
        max_pending: Optional[int] = DEFAULT_MAX_PENDING,
        inbox_retention: Optional[float] = DEFAULT_INBOX_RETENTION,
    ) -> None:
        self.lookup = lookup
        self.handler = handler
        self.on_cancelled = on_cancelled
        self.client = client
        if store is None:
            from .._stores._open import open_store

            store = open_store()
        self.store: IdempotencyStore = store
        self.verify_hash = verify_hash
        self._api_key = api_key
        self._auth_token = auth_token
        self.lease_seconds = lease_seconds
        self.busy_wait = busy_wait
        self.on_result = on_result
        self.max_attempts = max_attempts
        self.max_pending = max_pending
        self.inbox_retention = inbox_retention
        heartbeat = Heartbeat()
        self._claims = Claims(store, heartbeat)
        self._inbox: Optional[CallbackInbox] = None
        if isinstance(store, Store):
            self._inbox = CallbackInbox(
                store,
                body_flow=self._body_flow,
                heartbeat=heartbeat,
                lease=inbox_lease(lease_seconds),
                max_attempts=max_attempts,
                max_pending=max_pending,
                retention=inbox_retention,
                report=self._finish,
            )

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

    # -- the durable inbox (a whole Store) -------------------------------------------------
    @property
    def inbox(self) -> Optional[Store]:
        """The store when it has a callback inbox (every built-in one), else ``None``."""
        return self._inbox.store if self._inbox is not None else None

    def accept(self, body: bytes, content_type: str) -> Optional[InboxEntry]:
        """Keep a received callback in the inbox; the endpoints answer 200 only after this.

        An unreadable body is refused before storage (logged and reported to
        ``on_result`` as today; the endpoints still answer 200, revealing nothing).

        With ``max_pending`` set, a callback is not kept while the inbox already holds
        that many unfinished ones (a flood of forged bodies): the endpoint answers 503 and
        LigdiCash sends a genuine one again later.

        Returns:
            The stored entry (process it with :meth:`process_inbox`), or ``None`` for an
            unreadable body.

        Raises:
            ConfigurationError: the store has no inbox.
            StoreUnavailableError: the store cannot take it, or the inbox is full
                (``code="inbox_full"``): answer 503.
        """
        if self._inbox is None:
            raise ConfigurationError(f"{type(self.store).__name__} has no callback inbox")
        try:
            parse_callback(body, content_type)
        except InvalidCallbackError:
            self.process(body, content_type)  # logs and reports it
            return None
        return self._inbox.keep(body, content_type)

    def purge_inbox(self, older_than: Optional[float] = None) -> int:
        """Delete the inbox entries finished more than ``older_than`` seconds ago (default
        ``inbox_retention``); returns how many. The sweeps call it once a minute. Never
        raises (a failure is logged)."""
        if self._inbox is None:
            return 0
        return drive(self._inbox.purge_flow(older_than))

    def process_inbox(self, digest: str) -> ProcessResult:
        """Lease the inbox entry ``digest`` and process it (done, or left for the sweeper).

        An entry another worker holds or finished is left alone (reason
        ``"inbox_taken"``; ``on_result`` is not called). Never raises.
        """
        return self._run_sync(self._entry_flow(digest))

    async def aprocess_inbox(self, digest: str) -> ProcessResult:
        """:meth:`process_inbox` for async apps. Never raises."""
        return await self._run_async(self._entry_flow(digest))

    def sweep(self) -> int:
        """Process every inbox entry stored but never finished whose lease lapsed (its
        worker died or gave up), one worker per entry; returns how many. Never raises."""
        try:
            return drive(self._sweep_flow())
        except Exception:
            logger.exception("sweep failed unexpectedly")
            return 0

    async def asweep(self) -> int:
        """:meth:`sweep` for async apps. Never raises."""
        try:
            return await adrive(self._sweep_flow())
        except Exception:
            logger.exception("sweep failed unexpectedly")
            return 0

    def _entry_flow(self, digest: str) -> Flow:
        if self._inbox is None:
            return ProcessResult("failed", "no_inbox")
        return (yield from self._inbox.entry_flow(digest))

    def _sweep_flow(self) -> Generator[Effect, Any, int]:
        if self._inbox is None:
            return 0
        return (yield from self._inbox.sweep_flow())

    def timing(self) -> ClaimTiming:
        """The waits used with this processor's client: status call, busy wait, lease.

        Raises:
            ConfigurationError: no client was given and the module settings lack
                credentials.
        """
        client = self._client()
        return claim_timing(
            client.timeout,
            client.max_retries,
            busy_wait=self.busy_wait,
            lease_seconds=self.lease_seconds,
            renewable=self._claims.renewable,
        )

    # -- the flows (no I/O here) -----------------------------------------------------------
    def _client(self) -> ClientLike:
        if self.client is not None:
            return self.client
        from .._facade import default_client

        return default_client()

    def _hash_matches(self, callback: Callback) -> bool:
        if self._api_key is not None and self._auth_token is not None:
            return callback.hash_matches(api_key=self._api_key, auth_token=self._auth_token)
        return self._client().callback_hash_matches(callback)

    def _body_flow(self, body: bytes, content_type: str) -> Flow:
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

    def _callback_flow(self, callback: Callback) -> Flow:
        shown = repr(callback.redacted())
        if len(shown) > _MAX_LOGGED:  # a body can be 256 KiB; a log line should not
            shown = shown[:_MAX_LOGGED] + "...(truncated)"
        logger.info("callback received (%s): %s", callback.encoding, shown)
        if self.verify_hash:
            refusal = self._hash_refusal(callback)
            if refusal is not None:
                return refusal
        if not callback.is_final:
            logger.info("callback ignored: status %r is not final", callback.raw_status)
            return ProcessResult("ignored", "not_final")
        try:
            expected = yield Blocking(self.lookup, callback)
        except Exception:
            logger.exception("callback failed: the lookup raised")
            return ProcessResult("failed", "lookup_error")
        if expected is None:
            logger.warning("callback refused: unknown transaction (order_id %r)", callback.order_id)
            return ProcessResult("refused", "unknown_transaction")
        if not isinstance(expected, ExpectedTransaction):
            logger.error("callback failed: the lookup must return an ExpectedTransaction or None")
            return ProcessResult("failed", "lookup_error")
        if callback.token and callback.token == expected.token:
            # LigdiCash's callbacks carry a token of their own, never the creation token;
            # that one is in the payment page's URL, so anyone who saw it can write such a
            # body. A final refusal (never retried); one WARNING, without the token.
            logger.warning(
                "callback refused: it carries the payment's creation token, which LigdiCash's "
                "callbacks never do (a forged body, or a lookup returning the callback's own "
                "token) (order_id %r)",
                callback.order_id,
            )
            return ProcessResult("refused", "forged_token")
        try:
            check_confirmation_inputs(callback, expected.token)
            client = self._client()
            timing = self.timing()
        except LigdicashError as exc:
            logger.error("callback failed: %s", exc.message)
            return ProcessResult("failed", exc.code)
        claimed_at = time.monotonic()
        return (
            yield from self._claims.hold(
                event_key(expected, callback.status),
                timing,
                lambda claim: self._confirm(callback, expected, client, claim, claimed_at, timing),
            )
        )

    def _confirm(
        self,
        callback: Callback,
        expected: ExpectedTransaction,
        client: ClientLike,
        claim: Claim,
        claimed_at: float,
        timing: ClaimTiming,
    ) -> Flow:
        key = claim.key
        claims = self._claims
        try:
            transaction = yield Blocking(client.get_transaction, expected.token, expected.type)
        except Exception as exc:
            return (yield from claims.unconfirmed(claim, exc))
        try:
            check_confirmation(
                transaction,
                callback,
                expected_amount=expected.amount,
                expected_transaction_id=expected.transaction_id,
                type=expected.type,
            )
        except CallbackMismatchError as exc:
            yield from claims.release(claim, "unconfirmed", f"mismatch:{exc.field}")
            logger.warning("callback refused: %s [%s]", exc.message, key)
            return ProcessResult("refused", f"mismatch:{exc.field}", key, transaction)
        if not (yield from claims.still_ours(claim, claimed_at, timing)):
            return (yield from claims.lease_outlasted(claim, transaction, timing))
        return (yield from claims.handle(claim, transaction, self._handler_for(transaction)))

    def _handler_for(self, transaction: Transaction) -> Optional[TransactionHandler]:
        return self.handler if transaction.is_completed else self.on_cancelled

    def _hash_refusal(self, callback: Callback) -> Optional[ProcessResult]:
        if not callback.has_hash:
            reason, why = "missing_hash", "the callback carries no hash field"
        else:
            try:
                matches = self._hash_matches(callback)
            except LigdicashError as exc:  # no credentials to check it with
                logger.error("callback failed: %s", exc.message)
                return ProcessResult("failed", exc.code)
            if matches:
                return None
            reason = "invalid_hash"
            why = "the callback's hash does not match sha256(api_key + token + auth_token)"
        logger.warning("callback refused: %s", why)
        return ProcessResult("refused", reason)

    def _reconcile_flow(self, expected: ExpectedTransaction) -> Flow:
        try:
            client = self._client()
            timing = self.timing()
        except LigdicashError as exc:
            logger.error("poll failed: %s", exc.message)
            return ProcessResult("failed", exc.code)
        try:
            transaction = yield Blocking(client.get_transaction, expected.token, expected.type)
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
                type=expected.type,
            )
        except CallbackMismatchError as exc:
            logger.warning("poll refused: %s [%s]", exc.message, key)
            return ProcessResult("refused", f"mismatch:{exc.field}", key, transaction)
        return (
            yield from self._claims.hold(
                key,
                timing,
                lambda claim: self._claims.handle(
                    claim, transaction, self._handler_for(transaction)
                ),
            )
        )

    # -- drivers ---------------------------------------------------------------------------
    def _finish(self, result: ProcessResult) -> ProcessResult:
        if result.reason == TAKEN:  # another worker had it: nothing happened here
            return result
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                logger.exception("on_result raised")
        return result

    def _run_sync(self, flow: Flow) -> ProcessResult:
        try:
            result = drive(watch_callback(flow))
        except Exception:  # the safety net: a bug of ours never escapes to the framework
            logger.exception("callback processing failed unexpectedly")
            result = ProcessResult("failed", "internal_error")
        return self._finish(result)

    async def _run_async(self, flow: Flow) -> ProcessResult:
        try:
            result = await adrive(watch_callback(flow))
        except Exception:  # the safety net: a bug of ours never escapes to the framework
            logger.exception("callback processing failed unexpectedly")
            result = ProcessResult("failed", "internal_error")
        return self._finish(result)
