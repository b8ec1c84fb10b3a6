"""The effects the payout logic yields, and the two ways to perform them (blocking, async).

The runner's per-item decisions (:func:`._send.send_item`), a status round
(:func:`._settle.poll_round`) and a callback (:func:`._settle.callback_steps`) are
generators driven by :func:`ligdicash._drive.drive` / ``adrive``. They yield three kinds of
effect; :func:`performer` does them in the calling thread, :func:`aperformer` awaits the
network and runs the ledger (blocking sqlite3 / psycopg) in an executor's threads.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._ledger import Ledger
from ._records import LedgerItem

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = ["ClientCall", "Effect", "LedgerCall", "SendPayout", "aperformer", "performer"]


@dataclass(frozen=True)
class LedgerCall:
    """Call ``ledger.<method>(*args, **kwargs)`` and hand back its result."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientCall:
    """Call ``client.<method>(*args, **kwargs)`` (awaited on an ``AsyncClient``)."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendPayout:
    """Send ``item``'s payout (its ledger id in ``custom_data``); hand back the answer."""

    item: LedgerItem
    callback_url: str

    def withdrawal_kwargs(self) -> dict[str, Any]:
        """The arguments of ``client.Withdrawal(...)``."""
        item = self.item
        return {"description": item.description, "amount": item.amount, "customer": item.phone}

    def send_kwargs(self) -> dict[str, Any]:
        """The arguments of ``withdrawal.send(...)``."""
        return {
            "type": self.item.type,
            "to_wallet": self.item.to_wallet,
            "callback_url": self.callback_url,
            "custom_data": {"transaction_id": self.item.id},
        }


Effect = Union[LedgerCall, ClientCall, SendPayout]


def performer(ledger: Ledger, client: Client) -> Callable[[Effect], Any]:
    """Perform effects in the calling thread (for :func:`ligdicash._drive.drive`).

    Raises whatever the ledger or the client raises (``LigdicashError`` subclasses).
    """

    def perform(effect: Effect) -> Any:
        if isinstance(effect, LedgerCall):
            return getattr(ledger, effect.method)(*effect.args, **effect.kwargs)
        if isinstance(effect, ClientCall):
            return getattr(client, effect.method)(*effect.args, **effect.kwargs)
        withdrawal = client.Withdrawal(**effect.withdrawal_kwargs())
        return withdrawal.send(**effect.send_kwargs())

    return perform


def aperformer(
    ledger: Ledger, client: AsyncClient, executor: Optional[Executor] = None
) -> Callable[[Effect], Awaitable[Any]]:
    """Perform effects on the running event loop (for :func:`ligdicash._drive.adrive`):
    the client's calls are awaited, the ledger's run in ``executor`` (default: the loop's).

    Raises whatever the ledger or the client raises (``LigdicashError`` subclasses).
    """

    async def perform(effect: Effect) -> Any:
        if isinstance(effect, LedgerCall):
            call = functools.partial(getattr(ledger, effect.method), *effect.args, **effect.kwargs)
            return await asyncio.get_running_loop().run_in_executor(executor, call)
        if isinstance(effect, ClientCall):
            return await getattr(client, effect.method)(*effect.args, **effect.kwargs)
        withdrawal = client.Withdrawal(**effect.withdrawal_kwargs())
        return await withdrawal.send(**effect.send_kwargs())

    return perform
