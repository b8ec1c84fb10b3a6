"""What the sync and async clients share: the constructor, settings, request specs, the
exchange, ``repr``."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

import httpx

from ._config import SETTING_NAMES, Settings, TimeoutTypes, resolve_settings
from ._drive import Effect
from ._exceptions import ClientClosedError
from ._models import Transaction
from ._observe import watch_call
from ._operations import RequestSpec, ResultT, status_spec
from ._pipeline import Sender, exchange_routes
from ._records import RequestRecord
from ._registry import PaymentRecorder, StoreLike, open_registry
from ._resources import _InvoiceBase, _WithdrawalBase
from ._validation import Amount, check_token

if TYPE_CHECKING:
    from ._callbacks import Callback
    from ._stores import Store

__all__ = ["OnRequest", "_BaseClient"]

OnRequest = Callable[[RequestRecord], Any]
_InvoiceT = TypeVar("_InvoiceT", bound="_InvoiceBase[Any]")
_WithdrawalT = TypeVar("_WithdrawalT", bound="_WithdrawalBase[Any]")
#: The connection pool: ``httpx.Client`` or ``httpx.AsyncClient``.
_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


class _BaseClient(Generic[_InvoiceT, _WithdrawalT, _HttpT]):
    """The constructor, the settings and the I/O-free half of every request. Not used
    directly: ``Client`` and ``AsyncClient`` add only the pool they build and what sends.

    Generic over the invoice and withdrawal classes its factories build (``Invoice`` and
    ``Withdrawal`` for the sync client, their async counterparts for ``AsyncClient``) and
    over the connection pool's class. The arguments are documented on ``Client``.
    """

    _invoice_class: type[_InvoiceT]
    _withdrawal_class: type[_WithdrawalT]

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        auth_token: Optional[str] = None,
        platform: Optional[str] = None,
        base_url: Optional[str] = None,
        allow_http_hosts: Union[str, Iterable[str], None] = None,
        timeout: TimeoutTypes = None,
        max_retries: Optional[int] = None,
        http_client: Optional[_HttpT] = None,
        on_request: Optional[OnRequest] = None,
        store: Optional[StoreLike] = None,
    ) -> None:
        # One keyword per entry of ``_config.SETTINGS`` (tests/test_settings_declared_once.py
        # holds them equal), plus the pool and the store: the settings go on by that list.
        arguments = locals()
        settings = resolve_settings(**{name: arguments[name] for name in SETTING_NAMES})
        self._start(settings, http_client=http_client, store=store)

    def _start(
        self, settings: Settings, *, http_client: Optional[_HttpT], store: Optional[StoreLike]
    ) -> None:
        """Set every attribute of a new client (``__init__`` and ``AsyncClient.from_client``)."""
        self._settings = settings
        self._on_request = settings.on_request
        self._closed = False
        # Operations whose second route answered when the first did not (a merchant
        # payout's status): this client asks that route first from then on.
        self._preferred_fallbacks: set[str] = set()
        registry, self._owns_store = open_registry(store)
        self._recorder = PaymentRecorder(registry) if registry is not None else None
        self._owns_http = http_client is None
        self._http: _HttpT = http_client if http_client is not None else self._new_http()

    def _new_http(self) -> _HttpT:
        """The connection pool this client builds (and closes) when none is passed in."""
        raise NotImplementedError

    @property
    def store(self) -> Optional[Store]:
        """The store this client records its payments in (``store=``), or ``None``."""
        return self._recorder.store if self._recorder is not None else None

    def _close_store(self) -> None:
        if self._recorder is not None and self._owns_store:
            self._recorder.store.close()

    @property
    def platform(self) -> str:
        """``"live"`` or ``"test"``: which refusal-code tables apply."""
        return self._settings.platform

    @property
    def base_url(self) -> str:
        """The API root requests go to (ends with ``/pay/v01/`` on LigdiCash's hosts)."""
        return self._settings.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout applied to every request."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """How many times a safe request is retried after the first attempt."""
        return self._settings.max_retries

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` (or ``aclose``) was called."""
        return self._closed

    # The factories spell out the resource's parameters (3.9 has no ParamSpec to borrow
    # them): IDEs show them and mypy checks them. tests/test_factory_signatures.py holds
    # them equal to ``_InvoiceBase.__init__`` / ``_WithdrawalBase.__init__``.
    def Invoice(
        self,
        currency: str = "xof",
        description: str = "",
        customer_firstname: str = "",
        customer_lastname: str = "",
        customer_email: str = "",
        store_name: str = "",
        store_website_url: str = "",
        *,
        external_id: str = "",
        total_amount: Optional[Amount] = None,
    ) -> _InvoiceT:
        """An invoice whose payments use this client (awaitable ones on ``AsyncClient``).

        Takes the arguments of :class:`Invoice`.

        Raises:
            InvalidRequestError: a text argument that cannot be sent (see ``Invoice``).
        """
        return self._invoice_class(
            currency,
            description,
            customer_firstname,
            customer_lastname,
            customer_email,
            store_name,
            store_website_url,
            external_id=external_id,
            total_amount=total_amount,
            client=self,
        )

    def Withdrawal(
        self, description: str = "", amount: Optional[Amount] = None, customer: str = ""
    ) -> _WithdrawalT:
        """A payout sent with this client (an awaitable ``send`` on ``AsyncClient``).

        Takes the arguments of :class:`Withdrawal`.

        Raises:
            InvalidAmountError: ``amount`` missing, not whole CFA francs or out of range.
            InvalidRequestError: ``customer`` is not a phone number, or a text cannot be sent.
        """
        return self._withdrawal_class(description, amount, customer, client=self)

    def _check_open(self, spec: RequestSpec[Any]) -> None:
        if self._closed:
            raise ClientClosedError(operation=spec.operation.name)

    def _exchange(
        self, spec: RequestSpec[ResultT], send: Sender, *, asynchronous: bool = False
    ) -> Generator[Effect, Optional[httpx.Response], ResultT]:
        self._check_open(spec)
        steps = exchange_routes(
            self._settings,
            spec,
            preferred_fallbacks=self._preferred_fallbacks,
            send=send,
            on_request=self._on_request,
            asynchronous=asynchronous,
        )
        return watch_call(steps, operation=spec.operation, platform=self.platform)

    @staticmethod
    def _status_spec(token: str, type: str) -> RequestSpec[Transaction]:
        return status_spec(check_token(token), type)

    def __repr__(self) -> str:
        # Never the credentials; and safe on a client whose settings were refused (error
        # trackers repr the locals of the failed __init__ frame).
        if getattr(self, "_settings", None) is None:
            return f"<ligdicash.{type(self).__name__} (not configured)>"
        return (
            f"<ligdicash.{type(self).__name__} platform={self.platform!r} "
            f"base_url={self.base_url!r}{' closed' if self._closed else ''}>"
        )

    def callback_hash_matches(self, callback: Callback) -> bool:
        """True when ``callback.hash`` was made with this client's credentials.

        ``sha256(api_key + token + auth_token)``, compared in constant time; a missing hash
        is ``False``. Lets callback code check the hash without holding the credentials.
        """
        return callback.hash_matches(
            api_key=self._settings.api_key, auth_token=self._settings.auth_token
        )
