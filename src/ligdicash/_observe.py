"""The one seam telemetry plugs into: an optional, process-wide observer of the SDK's work.

The core knows nothing of OpenTelemetry. It tells an :class:`Observer`, when one is
installed (``ligdicash.contrib.otel`` installs one), about four kinds of work, each from
one call site:

- an API call: the exchange generator (``_base_client._exchange``);
- a callback (or poll) processed: the processor's flow (``contrib/_handler``'s drivers,
  and each entry of an inbox sweep in ``contrib/_inbox_entry_points``);
- one attempt at a payout item: the ``send_item`` generator (``payouts/_slots``);
- a payout item's change of state: the ledger's writes (``payouts/_ledger*``).

Work written as a sans-IO generator is handed over whole: the observer returns a generator
that runs it unchanged and sees what it sees (each step's outcome: the HTTP response sent
in, the error thrown in; the return value or the error raised), and it runs in the
driver's context, so whatever the observer makes current (a span) is current while the
driver performs the steps (the HTTP send).

With no observer (the default) each call site costs one read of a module global.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Optional, Protocol, TypeVar

if TYPE_CHECKING:
    from ._operations import Operation

__all__ = [
    "Observer",
    "current_observer",
    "payout_moved",
    "set_observer",
    "watch_call",
    "watch_callback",
    "watch_payout",
]

E = TypeVar("E")
S = TypeVar("S")
R = TypeVar("R")


class Observer(Protocol):
    """What an observer of the SDK implements (``ligdicash.contrib.otel``'s does).

    Each ``watch`` method receives a generator not started yet and returns one that does
    exactly what it does (same steps, same values sent and thrown in, same result or
    error), closing it when it is closed. None of them may raise.
    """

    def api_call(
        self, gen: Generator[E, S, R], *, operation: Operation, platform: str
    ) -> Generator[E, S, R]:
        """Watch one SDK operation: its HTTP attempts and its result or error."""

    def callback(
        self, flow: Generator[E, S, R], *, source: Optional[str] = None
    ) -> Generator[E, S, R]:
        """Watch one callback processed (or one poll): the flow returns a ``ProcessResult``.

        ``source`` names where it came from (``"sweep"``); ``None``: the observer tells
        from the flow (the processor's entry point).
        """

    def payout_attempt(
        self,
        gen: Generator[E, S, R],
        *,
        batch_id: str,
        item_id: str,
        attempt: int,
        payout_type: str,
    ) -> Generator[E, S, R]:
        """Watch one attempt at one payout item (``None``: sent, else a ``SendOutcome``)."""

    def payout_moved(self, state: str, count: int) -> None:
        """``count`` payout items were just moved to ``state`` in a ledger."""


_observer: Optional[Observer] = None


def set_observer(observer: Optional[Observer]) -> Optional[Observer]:
    """Install ``observer`` for the whole process (``None`` removes it); the previous one."""
    global _observer
    previous, _observer = _observer, observer
    return previous


def current_observer() -> Optional[Observer]:
    """The installed observer, or ``None``."""
    return _observer


def watch_call(
    gen: Generator[E, S, R], *, operation: Operation, platform: str
) -> Generator[E, S, R]:
    """``gen`` as the observer watches it (``gen`` itself when there is none)."""
    observer = _observer
    if observer is None:
        return gen
    try:
        return observer.api_call(gen, operation=operation, platform=platform)
    except Exception as exc:  # telemetry never stops a payment
        _failed(exc)
        return gen


def watch_callback(flow: Generator[E, S, R], *, source: Optional[str] = None) -> Generator[E, S, R]:
    """``flow`` as the observer watches it (``flow`` itself when there is none)."""
    observer = _observer
    if observer is None:
        return flow
    try:
        return observer.callback(flow, source=source)
    except Exception as exc:
        _failed(exc)
        return flow


def watch_payout(
    gen: Generator[E, S, R], *, batch_id: str, item_id: str, attempt: int, payout_type: str
) -> Generator[E, S, R]:
    """``gen`` as the observer watches it (``gen`` itself when there is none)."""
    observer = _observer
    if observer is None:
        return gen
    try:
        return observer.payout_attempt(
            gen, batch_id=batch_id, item_id=item_id, attempt=attempt, payout_type=payout_type
        )
    except Exception as exc:
        _failed(exc)
        return gen


def payout_moved(state: str, count: Any = 1) -> None:
    """Tell the observer that ``count`` payout items moved to ``state`` (no-op without one)."""
    observer = _observer
    if observer is not None and count:
        try:
            observer.payout_moved(state, int(count))
        except Exception as exc:  # the ledger's write happened: never report it failed
            _failed(exc)


def _failed(exc: Exception) -> None:
    import logging  # only on this path: ``import ligdicash`` does not load logging

    logging.getLogger("ligdicash").error(
        "the installed observer failed: %s (ignored)", type(exc).__name__
    )
