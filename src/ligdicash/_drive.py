"""The one effect vocabulary, and the one way to run a sans-IO generator.

The request pipeline, the waiting policy, a reconciliation round, the callback processor
and the payouts engine are written as generators that yield *effects* and receive their
outcomes. There are three effects, whoever yields them:

- :class:`Call` ``(fn, *args, **kwargs)``: call ``fn`` where the driver runs (the calling
  thread, or the event loop, where an awaitable result is awaited): an async method, or a
  short step that must stay on the loop;
- :class:`Blocking` ``(fn, *args, **kwargs)``: the same call, for a ``fn`` that may block
  its thread (a store, a ledger, a sync client, a user's sync callable): :func:`aperform`
  runs it in a worker thread (an async ``fn`` is awaited on the loop);
- :class:`Sleep` ``(seconds)``.

An effect names the callable itself, never a method by its name, so mypy checks each
call's arguments against the callee (``Call(store.claim, key, lease_seconds=20.0)``).
:func:`perform` carries an effect out blocking, :func:`aperform` with ``await``: no other
layer writes an executor of its own.

:func:`drive` (blocking) and :func:`adrive` (async) run a generator to its end with one
convention:

- the value the effect gave is sent into the generator (``gen.send(value)``);
- an ``Exception`` it raised is thrown into the generator at the ``yield``
  (``gen.throw(exc)``), which handles it with an ordinary ``try``/``except``;
- a ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
  ``asyncio.CancelledError``) is not handed in: it propagates, and the generator is closed.

The generator's return value is the driver's return value, and the generator is always
closed (``finally``), so its own ``finally`` blocks run even when the caller is cancelled.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

if TYPE_CHECKING:
    from concurrent.futures import Executor
    from typing import ParamSpec  # annotations only: Python 3.9 runs this module

    P = ParamSpec("P")

__all__ = [
    "Blocking",
    "Call",
    "Effect",
    "Sleep",
    "adrive",
    "aperform",
    "drive",
    "is_async_callable",
    "perform",
]

T = TypeVar("T")
R = TypeVar("R")


class Call(Generic[T]):
    """Effect: ``fn(*args, **kwargs)`` where the driver runs; resume with what it returned.

    Under :func:`aperform` an awaitable result is awaited on the event loop; under
    :func:`perform` it is refused (``TypeError``: an async callable given to a blocking
    flow).
    """

    __slots__ = ("args", "fn", "kwargs")

    def __init__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> None:
        self.fn: Callable[..., T] = fn
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        return f"{type(self).__name__}({name})"


class Blocking(Call[T]):
    """Effect: a :class:`Call` whose ``fn`` may block its thread (a store, a ledger, a sync
    client, a user's sync callable).

    :func:`aperform` runs a sync ``fn`` in a worker thread (and awaits an awaitable it
    returns), an async one on the event loop; :func:`perform` calls it in place.
    """

    __slots__ = ()


class Sleep:
    """Effect: wait this many seconds, then resume with ``None``."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Sleep({self.seconds!r})"


Effect = Union[Call[Any], Sleep]


def is_async_callable(function: Any) -> bool:
    """True when calling ``function`` gives a coroutine (an ``async def``, a
    ``functools.partial`` of one, or an object whose ``__call__`` is one)."""
    while isinstance(function, functools.partial):
        function = function.func
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004
    )


def perform(effect: Effect) -> Any:
    """Carry ``effect`` out in the calling thread.

    Raises:
        TypeError: the callable handed back an awaitable (an async lookup, handler or
            client given to a blocking flow: use its async entry point).
        Exception: whatever the callable raised.
    """
    if isinstance(effect, Sleep):
        time.sleep(effect.seconds)
        return None
    value = effect.fn(*effect.args, **effect.kwargs)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: close it so no warning points at user code
        raise TypeError(
            f"{effect!r} returned an awaitable: an async callable needs the async entry "
            "point (aprocess(), areconcile(), AsyncClient)"
        )
    return value


async def aperform(effect: Effect, *, executor: Optional[Executor] = None) -> Any:
    """Carry ``effect`` out with ``await``: a :class:`Blocking` sync call runs in a worker
    thread (``executor``'s when given, else anyio's), everything else on the event loop.

    Raises:
        Exception: whatever the callable raised.
    """
    import anyio  # here, so that the sync client never pays for importing asyncio

    if isinstance(effect, Sleep):
        await anyio.sleep(effect.seconds)
        return None
    fn, args, kwargs = effect.fn, effect.args, effect.kwargs
    if isinstance(effect, Blocking) and not is_async_callable(fn):
        call = functools.partial(fn, *args, **kwargs)
        if executor is None:
            import anyio.to_thread

            value = await anyio.to_thread.run_sync(call)
        else:
            import asyncio

            value = await asyncio.get_running_loop().run_in_executor(executor, call)
    else:
        value = fn(*args, **kwargs)
    if inspect.isawaitable(value):  # an async callable, or a sync one returning a coroutine
        return await value
    return value


def drive(gen: Generator[Any, Any, R], perform: Callable[[Any], Any] = perform) -> R:
    """Run ``gen`` to completion, performing each yielded effect with ``perform``.

    Raises:
        Exception: whatever ``gen`` raises (including an outcome it re-raises).
    """
    try:
        effect = next(gen)
        while True:
            try:
                value = perform(effect)
            except Exception as exc:  # handed to the generator, which decides
                effect = gen.throw(exc)
            else:
                effect = gen.send(value)
    except StopIteration as stop:
        result: R = stop.value
        return result
    finally:
        gen.close()


async def adrive(
    gen: Generator[Any, Any, R], perform: Callable[[Any], Awaitable[Any]] = aperform
) -> R:
    """Like :func:`drive`, with an awaitable ``perform`` (:func:`aperform` by default).

    Raises:
        Exception: whatever ``gen`` raises (including an outcome it re-raises).
    """
    try:
        effect = next(gen)
        while True:
            try:
                value = await perform(effect)
            except Exception as exc:  # handed to the generator, which decides
                effect = gen.throw(exc)
            else:
                effect = gen.send(value)
    except StopIteration as stop:
        result: R = stop.value
        return result
    finally:
        gen.close()
