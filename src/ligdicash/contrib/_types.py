"""The values a callback flow exchanges with your code, under their ``contrib`` import path.

They are defined in :mod:`ligdicash._types` (the core: the payment registry and the
reconciler use them too); ``ClientLike`` names the clients, which sit above the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from .._types import (
    ExpectedTransaction,
    Lookup,
    Outcome,
    ProcessResult,
    TransactionHandler,
    event_key,
)

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

__all__ = [
    "ClientLike",
    "ExpectedTransaction",
    "Lookup",
    "Outcome",
    "ProcessResult",
    "TransactionHandler",
    "event_key",
]

ClientLike = Union["Client", "AsyncClient"]
