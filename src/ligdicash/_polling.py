"""Waiting for a transaction to settle: the policy, written once for the sync and async clients.

:func:`wait_steps` is a generator of :mod:`ligdicash._drive`'s effects, like
:func:`ligdicash._pipeline.exchange`: it yields a :class:`~ligdicash._drive.Call` of the
status call it is given (the :class:`Transaction` is sent in, the :class:`LigdicashError`
it raised thrown in) or a :class:`~ligdicash._drive.Sleep`, and returns the final
transaction. ``Client`` drives it with ``drive`` and a blocking status call, ``AsyncClient``
with ``adrive`` and an awaited one.

The policy:

- the first status call is made at once; the gap between calls starts at ``interval`` and
  grows by :data:`BACKOFF_FACTOR` up to ``max_interval``;
- against LigdiCash's own hosts the gap is never under :data:`PROVIDER_MIN_INTERVAL` (3 s,
  the provider's guidance); ``interval=0`` is accepted only for a loopback ``base_url``;
- a payout is polled every 30 to 60 s (the provider's advice: "Payouts are processed in
  batches by the operator — polling too fast is pointless"): its defaults are
  :data:`PAYOUT_INTERVAL`, :data:`PAYOUT_MAX_INTERVAL` and :data:`PAYOUT_WAIT_TIMEOUT`, and
  any ``base_url`` but a loopback one (a local sandbox) refuses a gap under 30 s; a loopback
  sandbox keeps the payin defaults;
- ``pending`` is never an error; ``completed`` and ``cancelled`` end the wait;
- transient failures (:class:`APIConnectionError`, :class:`ServerError`,
  :class:`RateLimitError`, :class:`InvalidResponseError`) are remembered and the wait
  goes on (a status call is safe to repeat; a ``Retry-After`` is honoured); any other
  error (a refusal such as :class:`InvoiceNotFoundError`, a closed client) ends the wait
  at once;
- when no further call fits before the deadline, :class:`WaitTimeoutError` is raised with
  the last transaction seen, chained to the last transient error if there was one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Generator
from dataclasses import dataclass
from typing import Callable, Optional, Union

from ._config import Settings, _is_loopback_url
from ._drive import Call, Effect, Sleep
from ._exceptions import (
    APIConnectionError,
    InvalidRequestError,
    InvalidResponseError,
    LigdicashError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from ._models import Transaction

__all__ = [
    "BACKOFF_FACTOR",
    "DEFAULT_INTERVAL",
    "DEFAULT_MAX_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "PAYOUT_INTERVAL",
    "PAYOUT_MAX_INTERVAL",
    "PAYOUT_WAIT_TIMEOUT",
    "PROVIDER_MIN_INTERVAL",
    "WaitPolicy",
    "make_policy",
    "wait_steps",
]

#: LigdiCash rate-limits status checks made more often than about every 3 s.
PROVIDER_MIN_INTERVAL = 3.0
DEFAULT_INTERVAL = 3.0
DEFAULT_MAX_INTERVAL = 30.0
#: Five minutes: a payin waits on a person typing a code, a payout takes tens of seconds.
DEFAULT_WAIT_TIMEOUT = 300.0
BACKOFF_FACTOR = 1.5
#: The provider's payout advice (status-verification recommendations): every 30 to 60 s,
#: about 10 attempts, "5 to 10 minutes" in all. 30 s is also the floor off loopback.
PAYOUT_INTERVAL = 30.0
PAYOUT_MAX_INTERVAL = 60.0
PAYOUT_WAIT_TIMEOUT = 600.0
PAYOUT_KINDS = ("client_payout", "merchant_payout")

#: Errors after which a status call is simply made again later (an unreadable 200, such as
#: a maintenance page served with status 200, is one of them).
TRANSIENT_ERRORS = (APIConnectionError, ServerError, RateLimitError, InvalidResponseError)


@dataclass(frozen=True)
class WaitPolicy:
    """How long to wait and how often to ask; build it with :func:`make_policy`."""

    timeout: float
    interval: float
    max_interval: float
    factor: float = BACKOFF_FACTOR

    def next_gap(self, gap: float) -> float:
        """The gap after ``gap``: multiplied by :attr:`factor`, capped at :attr:`max_interval`."""
        return min(gap * self.factor, self.max_interval)


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise InvalidRequestError(f"{name} must be a number of seconds, got {value!r}")
    return float(value)


def make_policy(
    settings: Settings,
    *,
    kind: str = "payin",
    timeout: Optional[float] = None,
    interval: Optional[float] = None,
    max_interval: Optional[float] = None,
) -> WaitPolicy:
    """Check the wait arguments against the host the client talks to and the kind of
    transaction (``"payin"``, ``"client_payout"``, ``"merchant_payout"``); ``None`` takes
    the kind's default.

    Raises:
        InvalidRequestError: ``timeout`` not positive and finite; ``interval`` negative,
            under 3 s against LigdiCash's hosts, under 30 s for a payout off loopback, or 0
            off loopback; ``max_interval`` under ``interval``.
    """
    payout_pace = kind in PAYOUT_KINDS and not _is_loopback_url(settings.base_url)
    if payout_pace:
        defaults = (PAYOUT_WAIT_TIMEOUT, PAYOUT_INTERVAL, PAYOUT_MAX_INTERVAL)
    else:
        defaults = (DEFAULT_WAIT_TIMEOUT, DEFAULT_INTERVAL, DEFAULT_MAX_INTERVAL)
    timeout = _seconds(defaults[0] if timeout is None else timeout, "timeout")
    interval = _seconds(defaults[1] if interval is None else interval, "interval")
    max_interval = _seconds(
        max(defaults[2], interval) if max_interval is None else max_interval, "max_interval"
    )
    if not 0 < timeout < math.inf:
        raise InvalidRequestError(f"timeout must be a positive, finite number, got {timeout!r}")
    if interval < 0 or interval == math.inf:
        raise InvalidRequestError(f"interval must be >= 0 and finite, got {interval!r}")
    if not settings.base_url_overridden and interval < PROVIDER_MIN_INTERVAL:
        raise InvalidRequestError(
            f"interval must be at least {PROVIDER_MIN_INTERVAL:g} s against LigdiCash's hosts "
            f"(status checks made more often are rate-limited), got {interval:g}"
        )
    if payout_pace and interval < PAYOUT_INTERVAL:
        raise InvalidRequestError(
            f"a payout's interval must be at least {PAYOUT_INTERVAL:g} s off a loopback "
            "sandbox (LigdiCash: payouts are processed in batches, poll every 30 to 60 s), "
            f"got {interval:g}"
        )
    if interval == 0 and not _is_loopback_url(settings.base_url):
        raise InvalidRequestError("interval=0 is only allowed for a loopback base_url")
    if max_interval < interval:
        raise InvalidRequestError(
            f"max_interval ({max_interval:g}) must be at least interval ({interval:g})"
        )
    return WaitPolicy(timeout=timeout, interval=interval, max_interval=max_interval)


def wait_steps(
    policy: WaitPolicy,
    fetch: Callable[[], Union[Transaction, Awaitable[Transaction]]],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Generator[Effect, Transaction, Transaction]:
    """Run one wait as a sequence of effects; return the final transaction or raise.

    Driven by :func:`ligdicash._drive.drive` / ``adrive``: ``fetch()`` (one status call,
    blocking or async) is yielded as a :class:`Call`, its transaction sent in, its error
    thrown in at the ``yield`` (any error not transient propagates).

    Raises:
        WaitTimeoutError: the deadline came first; ``.transaction`` is the last one seen.
        LigdicashError: the first non-transient error a status call raised, as is.
    """
    deadline = clock() + policy.timeout
    gap = policy.interval
    last_seen: Optional[Transaction] = None
    last_error: Optional[LigdicashError] = None
    polls = 0
    while True:
        at_least = 0.0
        try:
            outcome = yield Call(fetch)
        except TRANSIENT_ERRORS as exc:  # thrown in by the driver: ride it out
            last_error = exc
            if isinstance(exc, RateLimitError) and exc.retry_after:
                at_least = exc.retry_after
        else:
            if outcome.is_final:
                return outcome
            last_seen = outcome
        polls += 1
        remaining = deadline - clock()
        wait = max(gap, at_least)
        if wait > remaining:
            # One last call exactly at the deadline, if it keeps the minimum spacing.
            if remaining <= 0 or remaining < max(policy.interval, at_least):
                raise _timeout_error(policy, polls, last_seen, last_error) from last_error
            wait = remaining
        yield Sleep(wait)
        gap = policy.next_gap(gap)


def _timeout_error(
    policy: WaitPolicy,
    polls: int,
    last_seen: Optional[Transaction],
    last_error: Optional[LigdicashError],
) -> WaitTimeoutError:
    calls = f"{polls} status check{'s' if polls != 1 else ''}"
    if last_seen is not None:
        message = (
            f"the transaction was still {last_seen.status!r} after {policy.timeout:g} s "
            f"({calls}); it may still settle later: check again, or rely on the callback"
        )
    else:
        message = f"no status check succeeded within {policy.timeout:g} s ({calls})"
    if last_error is not None:
        message += f"; last error: {last_error}"
    operation = last_error.operation if last_error is not None else None
    return WaitTimeoutError(message, transaction=last_seen, operation=operation)
