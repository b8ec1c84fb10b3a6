"""A run's send slots: each claims an item, sends it with :func:`~._send.send_item`, and
goes on until nothing is left or the run stops.

The slots that are free while a claim commits share the next one (one durable commit for
several items). A slot cancelled with its request maybe on the wire records the item
``in_doubt``; consecutive "nothing left the machine" failures back off, then halt the run
(``network``); a failing ledger halts it (``ledger``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from .._drive import Blocking, Effect, adrive
from .._observe import watch_payout
from ._ledger import Ledger, WorkerIdentity
from ._records import LedgerItem
from ._run_control import RateLimiter, RunControl
from ._send import send_item
from ._states import IN_DOUBT, SENDING, Fate, SendOutcome

if TYPE_CHECKING:
    from .._async_client import AsyncClient

__all__ = ["MAX_UNSENT_IN_A_ROW", "SendSlots"]

logger = logging.getLogger("ligdicash.payouts")

#: Consecutive "nothing left the machine" failures before the run gives up (network down).
MAX_UNSENT_IN_A_ROW = 5


class SendSlots:
    """The send slots of one run of a :class:`~._runner.BatchRunner` (made on its loop).

    Args:
        ledger, client: the run's ledger and async client.
        perform: performs an effect on the run's loop (``ligdicash._drive.aperform`` with
            the run's ledger threads): :func:`send_item`'s, and the slots' ledger calls.
        batch_id, identity, callback_url: the run's batch, worker and callback URL.
        limiter, control: the run's rate limit and stop.

    Attributes:
        sent_count: payouts LigdiCash answered with a token in this run.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        client: AsyncClient,
        perform: Callable[[Effect], Awaitable[Any]],
        batch_id: str,
        identity: WorkerIdentity,
        callback_url: str,
        limiter: RateLimiter,
        control: RunControl,
    ) -> None:
        self._ledger = ledger
        self._client = client
        self._perform = perform
        self._batch_id = batch_id
        self._identity = identity
        self._callback_url = callback_url
        self._limiter = limiter
        self._control = control
        self.sent_count = 0
        self._unsent_in_a_row = 0
        self._waiting = 0
        self._claimed: collections.deque[LedgerItem] = collections.deque()
        # Made here, on the run's loop: on Python 3.9 it binds to the loop current at creation.
        self._claim_lock = asyncio.Lock()

    def start(self, count: int) -> list[asyncio.Future[None]]:
        """Start ``count`` slots; each ends when nothing is left or the run stops."""
        return [asyncio.ensure_future(self._slot()) for _ in range(count)]

    def take_unsent(self) -> list[LedgerItem]:
        """The items claimed but never sent (to release once the slots are done)."""
        items = list(self._claimed)
        self._claimed.clear()
        return items

    async def _next_item(self) -> Optional[LedgerItem]:
        """A claimed item for a free slot. The slots that are free while a claim commits
        wait for the next one, which claims as many items as there are of them: one
        durable commit for several items, and every claimed item is sent at once."""
        self._waiting += 1
        try:
            async with self._claim_lock:
                if not self._claimed and not self._control.stopping():
                    self._claimed.extend(
                        await self._perform(
                            Blocking(
                                self._ledger.claim_many,
                                self._batch_id,
                                self._identity,
                                self._waiting,
                            )
                        )
                    )
                return self._claimed.popleft() if self._claimed else None
        finally:
            self._waiting -= 1

    async def _slot(self) -> None:
        """One payout in flight at a time, until nothing is left or the run stops."""
        try:
            while not self._control.stopping():
                if await self._control.rest(self._limiter.reserve()):
                    break
                item = await self._next_item()
                if item is None:
                    break
                if self._control.stopping():  # claimed but certainly not sent: hand it back
                    await self._perform(Blocking(self._ledger.release, [item]))
                    break
                try:
                    steps = send_item(
                        self._ledger,
                        self._client,
                        item,
                        self._batch_id,
                        self._callback_url,
                        halt=self._control.halt,
                    )
                    outcome = await adrive(
                        watch_payout(
                            steps,
                            batch_id=self._batch_id,
                            item_id=item.id,
                            attempt=item.attempts,
                            payout_type=item.type,
                        ),
                        self._perform,
                    )
                except asyncio.CancelledError:
                    # Cancelled with the request maybe on the wire: never re-sent by itself.
                    await asyncio.shield(
                        self._perform(
                            Blocking(
                                self._ledger.move,
                                item.id,
                                IN_DOUBT,
                                expect=[SENDING],
                                error_code="interrupted",
                                error="the run was cancelled while this payout was being sent",
                            )
                        )
                    )
                    raise
                await self._after_send(outcome)
        except Exception as exc:  # the ledger failed: stop everything, record nothing more
            logger.error("payout sender stopped: the ledger failed (%s)", type(exc).__name__)
            self._control.halt("ledger", f"the ledger failed: {type(exc).__name__}")

    async def _after_send(self, outcome: Optional[SendOutcome]) -> None:
        """Count a payout LigdiCash answered; back off (or give up) when nothing left."""
        if outcome is None:
            self.sent_count += 1
            self._unsent_in_a_row = 0
            return
        if outcome.fate is not Fate.RETRY:
            return
        self._unsent_in_a_row += 1
        streak = self._unsent_in_a_row
        if streak >= MAX_UNSENT_IN_A_ROW:
            self._control.halt("network", f"nothing could be sent: {outcome.message}")
        else:
            await self._control.rest(min(0.2 * 2**streak, 5.0))
