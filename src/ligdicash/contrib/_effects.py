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
from .._idempotency import Claim, IdempotencyStore, ReleaseState
from .._models import Transaction
from .._operations import TransactionType
from ._types import ClientLike, Lookup, TransactionHandler

__all__ = [
    "ClaimKey",
    "CompleteKey",
    "Effect",
    "FetchStatus",
    "LookUp",
    "ReleaseKey",
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
class FetchStatus:
    """``client.get_transaction(token, type)``; the result is the :class:`Transaction`."""

    client: ClientLike
    token: str
    type: TransactionType


@dataclass(frozen=True)
class RunHandler:
    """Call the user's handler with the confirmed transaction."""

    handler: TransactionHandler
    transaction: Transaction


@dataclass(frozen=True)
class Wait:
    """Sleep (``time.sleep`` or ``anyio.sleep``)."""

    seconds: float


Effect = Union[LookUp, ClaimKey, CompleteKey, ReleaseKey, FetchStatus, RunHandler, Wait]


def _call(effect: Effect) -> Any:
    """The blocking call behind every effect but :class:`Wait`."""
    if isinstance(effect, ClaimKey):
        return effect.store.claim(effect.key, lease_seconds=effect.lease_seconds)
    if isinstance(effect, CompleteKey):
        return effect.store.complete(effect.claim, note=effect.note)
    if isinstance(effect, ReleaseKey):
        return effect.store.release(effect.claim, state=effect.state, note=effect.note)
    if isinstance(effect, FetchStatus):
        return effect.client.get_transaction(effect.token, effect.type)
    if isinstance(effect, LookUp):
        return effect.lookup(effect.callback)
    if isinstance(effect, RunHandler):
        return effect.handler(effect.transaction)
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
