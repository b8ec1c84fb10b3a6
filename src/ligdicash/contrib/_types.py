"""The values a callback flow exchanges with your code, under their ``contrib`` import path.

They are defined in :mod:`ligdicash._types` (the core: the payment registry and the
reconciler use them too); ``ClientLike`` names the clients, which sit above the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

# ``X as X``: re-exported (mypy's strict mode exports no other imported name).
from .._types import ExpectedTransaction as ExpectedTransaction
from .._types import Lookup as Lookup
from .._types import Outcome as Outcome
from .._types import ProcessResult as ProcessResult
from .._types import TransactionHandler as TransactionHandler
from .._types import event_key as event_key

if TYPE_CHECKING:
    from .._async_client import AsyncClient
    from .._client import Client

ClientLike = Union["Client", "AsyncClient"]
