"""How long a callback copy waits for the other, and how long a claim lasts, from the client.

Two copies of each callback arrive together. The first claims the event and makes the
status call; the second finds it ``busy`` and waits. If the first copy's status call then
fails, the second must still be waiting, to take the event over and confirm it itself:
so it must wait at least as long as a status call can take **with its retries**. That
worst case follows from the client's settings (``client.timeout``, ``client.max_retries``)
and the pipeline's retry waits (``ligdicash._pipeline``): :func:`status_call_seconds`.

With a store that renews leases (every built-in one), the claim's lease is short
(:data:`RENEWED_LEASE`) and the working process renews it from a heartbeat while it
confirms and runs the handler, so a dead worker's claim is taken over within seconds. With
a store that cannot renew, the lease must outlast that status call too, plus the handler;
otherwise a copy could take the event over while its holder is still confirming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import httpx

from .. import _pipeline

__all__ = [
    "HANDLER_SECONDS",
    "RENEWED_LEASE",
    "STORE_MARGIN",
    "UNBOUNDED_LEASE",
    "ClaimTiming",
    "claim_timing",
    "status_call_seconds",
]

#: Room for the lookup and the store's round trips around a status call.
STORE_MARGIN = 10.0
#: Room left in the default lease for your handler, after the status call.
HANDLER_SECONDS = 300.0
#: The default lease when a timeout is ``None`` (the status call has no bound).
UNBOUNDED_LEASE = 600.0
#: The default lease of a claim (and of an inbox entry) that a heartbeat renews.
RENEWED_LEASE = 20.0
#: The shortest renewed lease accepted (the heartbeat renews every third of it).
MIN_RENEWED_LEASE = 0.3


@dataclass(frozen=True)
class ClaimTiming:
    """The waits a :class:`~ligdicash.contrib.CallbackProcessor` uses with one client.

    Attributes:
        status_call: the longest one status call can take with its retries, in seconds;
            ``None`` when a timeout is ``None`` (no bound).
        busy_wait: how long a copy that finds the event claimed waits for the other copy
            to finish or give it back, before leaving it to that copy.
        lease: how long a claim is exclusive; a copy whose status call outlasted it does
            not run the handler (another one may have taken the event over).
    """

    status_call: Optional[float]
    busy_wait: float
    lease: float


def status_call_seconds(timeout: httpx.Timeout, max_retries: int) -> Optional[float]:
    """The worst case of one status call with ``max_retries`` retries, or ``None`` if unbounded.

    Each attempt may wait for a pooled connection, connect, write and read up to their
    timeouts; each retry first waits the longest the pipeline may wait (an honoured
    ``Retry-After``, or the capped backoff). A response read in many slow pieces can
    still exceed this: the lease check before the handler covers that case.
    """
    parts = (timeout.pool, timeout.connect, timeout.write, timeout.read)
    if any(part is None for part in parts):
        return None
    attempt = sum(float(part) for part in parts if part is not None)
    # Read at call time: the constants are module attributes tests may shorten.
    retry_waits = sum(
        max(
            _pipeline.MAX_RETRY_AFTER,
            min(_pipeline.MAX_BACKOFF, _pipeline.INITIAL_BACKOFF * 2.0**retry),
        )
        for retry in range(max_retries)
    )
    return (max_retries + 1) * attempt + retry_waits


def claim_timing(
    timeout: httpx.Timeout,
    max_retries: int,
    *,
    busy_wait: Optional[float] = None,
    lease_seconds: Optional[float] = None,
    renewable: bool = False,
) -> ClaimTiming:
    """The waits for a client with these settings; explicit values only ever lengthen them.

    With ``renewable`` (the store renews leases, the processor runs a heartbeat), the lease
    is ``lease_seconds`` or :data:`RENEWED_LEASE`, whatever the status call: it is renewed
    while the work goes on. The rest applies to stores that cannot renew.

    ``busy_wait`` is at least a status call plus :data:`STORE_MARGIN` (shorter, both copies
    could give up while the event was still claimable). ``lease_seconds`` defaults to that
    plus :data:`HANDLER_SECONDS` and is never shorter than ``busy_wait``'s floor plus the
    margin. With an unbounded timeout, the lease defaults to :data:`UNBOUNDED_LEASE` and
    the waiting copy waits past it, so it can take over from a status call that hangs.
    """
    status = status_call_seconds(timeout, max_retries)
    if renewable:
        lease = max(
            lease_seconds if lease_seconds is not None else RENEWED_LEASE, MIN_RENEWED_LEASE
        )
        floor = status + STORE_MARGIN if status is not None else lease + STORE_MARGIN
        wait = max(busy_wait if busy_wait is not None else floor, floor)
        return ClaimTiming(status_call=status, busy_wait=wait, lease=lease)
    if status is None:
        lease = lease_seconds if lease_seconds is not None else UNBOUNDED_LEASE
        floor = lease + STORE_MARGIN
    else:
        floor = status + STORE_MARGIN
        default_lease = floor + HANDLER_SECONDS
        lease = max(
            lease_seconds if lease_seconds is not None else default_lease,
            floor + STORE_MARGIN,
        )
    wait = max(busy_wait if busy_wait is not None else floor, floor)
    return ClaimTiming(status_call=status, busy_wait=wait, lease=lease)
