"""The effects a callback flow yields, and the two ways to perform them.

:class:`~ligdicash.contrib.CallbackProcessor` writes its steps once, as generators that
yield these effects; :func:`perform` carries them out blocking and :func:`aperform` with
``await`` (sync callables and stores then run in a worker thread). Each effect carries
the collaborator it acts on, so performing one needs nothing else. One effect type per
store operation, so no effect needs an ``assert`` to be performed.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from .._callbacks import Callback
from .._models import Transaction
from .._operations import TransactionType
from .._stores import Claim, IdempotencyStore
from .._stores._base import Store
from .._stores._types import InboxClaim, ReleaseState
from ._types import ClientLike, Lookup, TransactionHandler

__all__ = [
    "ClaimKey",
    "CompleteKey",
    "Effect",
    "FetchStatus",
    "InboxDiscard",
    "InboxFinish",
    "InboxGet",
    "InboxPurge",
    "InboxTake",
    "InboxTakeNext",
    "LookUp",
    "ReleaseKey",
    "RenewKey",
    "RunHandler",
    "Wait",
    "aperform",
    "perform",
]


@dataclass(frozen=True)
class LookUp:
    """Call the user's lookup; the result is what it returned."""

    lookup: Lookup
    callback: Callback


@dataclass(frozen=True)
class ClaimKey:
    """``store.claim(key, lease_seconds=...)``; the result is the :class:`Claim`."""

    store: IdempotencyStore
    key: str
    lease_seconds: float


@dataclass(frozen=True)
class CompleteKey:
    """``store.complete(claim, note=...)``."""

    store: IdempotencyStore
    claim: Claim
    note: str


@dataclass(frozen=True)
class ReleaseKey:
    """``store.release(claim, state=..., note=...)``."""

    store: IdempotencyStore
    claim: Claim
    state: ReleaseState
    note: str


@dataclass(frozen=True)
class RenewKey:
    """``store.renew(claim, lease_seconds=...)``; the result is whether the claim is still ours."""

    store: IdempotencyStore
    claim: Claim
    lease_seconds: float


@dataclass(frozen=True)
class InboxTake:
    """``store.inbox_claim(digest, lease_seconds=...)``; the result is the lease or ``None``."""

    store: Store
    digest: str
    lease_seconds: float


@dataclass(frozen=True)
class InboxGet:
    """``store.inbox_get(digest)``; the result is the entry or ``None``."""

    store: Store
    digest: str


@dataclass(frozen=True)
class InboxTakeNext:
    """``store.inbox_claim_next(lease_seconds=...)``; the result is the lease or ``None``."""

    store: Store
    lease_seconds: float


@dataclass(frozen=True)
class InboxFinish:
    """``store.inbox_finish(claim, outcome=...)``; the result is whether it was still ours."""

    store: Store
    claim: InboxClaim
    outcome: str


@dataclass(frozen=True)
class InboxDiscard:
    """``store.inbox_discard(claim)``; the result is whether it was still ours."""

    store: Store
    claim: InboxClaim


@dataclass(frozen=True)
class InboxPurge:
    """``store.inbox_purge(older_than=...)``; the result is how many entries went."""

    store: Store
    older_than: float


@dataclass(frozen=True)
class FetchStatus:
    """``client.get_transaction(token, type)``; the result is the :class:`Transaction`."""

    client: ClientLike
    token: str
    type: TransactionType


@dataclass(frozen=True)
class RunHandler:
    """Call the user's handler with the confirmed transaction (and ``event_key=key`` when it
    takes that keyword). With ``done`` set (a store that lives in the handler's database),
    the handler and ``store.complete(done)`` run in one transaction of that database: the
    result is then whether the claim was still ours (if not, the handler's writes are
    rolled back)."""

    handler: TransactionHandler
    transaction: Transaction
    key: str = ""
    done: Optional[CompleteKey] = None


@dataclass(frozen=True)
class Wait:
    """Sleep (``time.sleep`` or ``anyio.sleep``)."""

    seconds: float


Effect = Union[
    LookUp,
    ClaimKey,
    CompleteKey,
    ReleaseKey,
    RenewKey,
    InboxTake,
    InboxTakeNext,
    InboxFinish,
    InboxDiscard,
    InboxPurge,
    InboxGet,
    FetchStatus,
    RunHandler,
    Wait,
]


class LeaseLost(Exception):
    """The claim was taken over before the transactional "done" mark: rolled back."""


def accepts_event_key(handler: Any) -> bool:
    """True when ``handler`` takes an ``event_key`` keyword (named, or ``**kwargs``)."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "event_key" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in parameters
    )


def _with_key(handler: TransactionHandler) -> Callable[..., Any]:
    return handler  # checked by accepts_event_key: it takes ``event_key``


def _run_handler(effect: RunHandler) -> Any:
    def call() -> Any:
        if effect.key and accepts_event_key(effect.handler):
            return _with_key(effect.handler)(effect.transaction, event_key=effect.key)
        return effect.handler(effect.transaction)

    done = effect.done
    if done is None:
        return call()
    atomic = getattr(done.store, "atomic", None)
    assert atomic is not None  # the flow sets ``done`` only for such stores
    with atomic():
        value = call()
        if inspect.isawaitable(value):
            raise TypeError("a transactional handler must be synchronous")
        if not done.store.complete(done.claim, note=done.note):
            raise LeaseLost(done.claim.key)  # leaving the block rolls the handler back
    return True


def _call(effect: Effect) -> Any:
    """The blocking call behind every effect but :class:`Wait`."""
    if isinstance(effect, ClaimKey):
        return effect.store.claim(effect.key, lease_seconds=effect.lease_seconds)
    if isinstance(effect, CompleteKey):
        return effect.store.complete(effect.claim, note=effect.note)
    if isinstance(effect, ReleaseKey):
        return effect.store.release(effect.claim, state=effect.state, note=effect.note)
    if isinstance(effect, RenewKey):
        return effect.store.renew(effect.claim, lease_seconds=effect.lease_seconds)
    if isinstance(effect, InboxTake):
        return effect.store.inbox_claim(effect.digest, lease_seconds=effect.lease_seconds)
    if isinstance(effect, InboxTakeNext):
        return effect.store.inbox_claim_next(lease_seconds=effect.lease_seconds)
    if isinstance(effect, InboxGet):
        return effect.store.inbox_get(effect.digest)
    if isinstance(effect, InboxFinish):
        return effect.store.inbox_finish(effect.claim, outcome=effect.outcome)
    if isinstance(effect, InboxDiscard):
        return effect.store.inbox_discard(effect.claim)
    if isinstance(effect, InboxPurge):
        return effect.store.inbox_purge(older_than=effect.older_than)
    if isinstance(effect, FetchStatus):
        return effect.client.get_transaction(effect.token, effect.type)
    if isinstance(effect, LookUp):
        return effect.lookup(effect.callback)
    if isinstance(effect, RunHandler):
        return _run_handler(effect)
    raise TypeError(f"not a blocking effect: {effect!r}")


def perform(effect: Effect) -> Any:
    """Carry out ``effect`` blocking; an awaitable result is refused.

    Raises:
        TypeError: a lookup, handler or client handed back an awaitable (they need
            :meth:`~ligdicash.contrib.CallbackProcessor.aprocess`).
        Exception: whatever the collaborator raised.
    """
    if isinstance(effect, Wait):
        time.sleep(effect.seconds)
        return None
    value = _call(effect)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: close it so no warning points at user code
        raise TypeError("an async lookup, handler or client needs aprocess()/areconcile()")
    return value


def _target(effect: Effect) -> Optional[Callable[..., Any]]:
    """The user callable or client method an effect calls; ``None`` for the (blocking) store."""
    if isinstance(effect, FetchStatus):
        return effect.client.get_transaction
    if isinstance(effect, LookUp):
        return effect.lookup
    if isinstance(effect, RunHandler):
        return effect.handler
    return None


async def aperform(effect: Effect) -> Any:
    """Carry out ``effect`` with ``await``: async callables are awaited, sync ones (and the
    store) run in a worker thread so the event loop never blocks.

    Raises:
        Exception: whatever the collaborator raised.
    """
    import anyio
    import anyio.to_thread

    if isinstance(effect, Wait):
        await anyio.sleep(effect.seconds)
        return None
    target = _target(effect)
    if target is not None and _is_async_callable(target):
        if isinstance(effect, RunHandler):
            if effect.key and accepts_event_key(effect.handler):
                return await _with_key(effect.handler)(effect.transaction, event_key=effect.key)
            return await effect.handler(effect.transaction)
        return await _call(effect)
    value = await anyio.to_thread.run_sync(_call, effect)
    if inspect.isawaitable(value):  # e.g. a lambda returning a coroutine
        return await value
    return value


def _is_async_callable(function: Any) -> bool:
    while hasattr(function, "func"):  # functools.partial
        function = function.func
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004
    )
