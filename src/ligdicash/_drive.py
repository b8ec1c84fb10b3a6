"""The one way to run a sans-IO generator: :func:`drive` (blocking) and :func:`adrive` (async).

The request pipeline, the waiting policy and the callback processor are written as
generators that yield *effects* (send this request, sleep, claim this key, ...) and receive
their outcomes. A driver performs each effect with a ``perform`` function and hands the
outcome back with one convention:

- the value ``perform`` returned is sent into the generator (``gen.send(value)``);
- an ``Exception`` it raised is thrown into the generator at the ``yield``
  (``gen.throw(exc)``), which handles it with an ordinary ``try``/``except``;
- a ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
  ``asyncio.CancelledError``) is not handed in: it propagates, and the generator is closed.

The generator's return value is the driver's return value, and the generator is always
closed (``finally``), so its own ``finally`` blocks run even when the caller is cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import Any, Callable, TypeVar

__all__ = ["adrive", "drive"]

E = TypeVar("E")
R = TypeVar("R")


def drive(gen: Generator[E, Any, R], perform: Callable[[E], Any]) -> R:
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


async def adrive(gen: Generator[E, Any, R], perform: Callable[[E], Awaitable[Any]]) -> R:
    """Like :func:`drive`, with an awaitable ``perform``.

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
