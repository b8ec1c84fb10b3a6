"""The documented module-level API, as a thin layer over a default :class:`Client`.

``ligdicash.api_key`` and the other module settings are read at each request; the default
client is rebuilt only when one of them (or a ``LIGDICASH_*`` variable) changed, so the
connection pool is reused across calls.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Optional

from ._config import ENV_NAMES, SETTING_NAMES
from ._models import Transaction
from ._operations import TransactionType, status_spec
from ._resources import use_module_client
from ._validation import check_token

if TYPE_CHECKING:
    from ._callbacks import Callback
    from ._client import Client

__all__ = ["confirm_callback", "default_client", "get_transaction", "reset_default_client"]

_lock = threading.Lock()
_client: Optional[Client] = None
_key: Optional[tuple[Any, ...]] = None


def _module_settings() -> dict[str, Any]:
    module = sys.modules["ligdicash"]
    return {name: getattr(module, name, None) for name in SETTING_NAMES}


def _identity(value: Any) -> Any:
    # Callables need not be hashable nor comparable: they count by identity.
    return id(value) if callable(value) else value


def default_client() -> Client:
    """The client built from the module settings, rebuilt when they change.

    Raises:
        ConfigurationError: a setting is missing or invalid.
    """
    global _client, _key
    from ._client import Client  # imports httpx: deferred until the first request

    settings = _module_settings()
    key = (
        *(_identity(value) for value in settings.values()),
        *(os.environ.get(name) for name in ENV_NAMES),
    )
    with _lock:
        if _client is None or key != _key:
            new = Client(**settings)
            old, _client, _key = _client, new, key
            if old is not None:
                old.close()
        return _client


# ``ligdicash.Invoice(...)`` and ``ligdicash.Withdrawal(...)`` send with it.
use_module_client(default_client)


def reset_default_client() -> None:
    """Close the module-level client; the next request builds a fresh one."""
    global _client, _key
    with _lock:
        if _client is not None:
            _client.close()
        _client, _key = None, None


def get_transaction(token: str, type: TransactionType = "payin") -> Transaction:
    """Fetch a transaction's status with the token stored at creation (not the callback's).

    ``type``: ``"payin"``, ``"client_payout"`` or ``"merchant_payout"``. See
    :meth:`Client.get_transaction` for the errors.
    """
    # Validate before building a client, so a blank token never needs credentials.
    spec = status_spec(check_token(token), type)
    return default_client()._request(spec)


def confirm_callback(
    callback: Callback,
    *,
    token: str,
    type: TransactionType = "payin",
    expected_amount: Optional[int] = None,
    expected_transaction_id: Optional[str] = None,
) -> Transaction:
    """Confirm a callback with the token stored at creation; see :meth:`Client.confirm_callback`.

    Raises:
        InvalidRequestError: ``token`` is the callback's own token (nothing sent).
        CallbackMismatchError: status, amount or ``custom_data`` disagree (``.field``).
        LigdicashError: the status call failed; the callback stays unconfirmed.
    """
    from ._confirm import check_confirmation_inputs  # callback code loads only when used

    check_confirmation_inputs(callback, token)
    status_spec(check_token(token), type)  # a blank token or bad type never needs credentials
    return default_client().confirm_callback(
        callback,
        token=token,
        type=type,
        expected_amount=expected_amount,
        expected_transaction_id=expected_transaction_id,
    )
