"""``Invoice``, ``InvoiceItem`` and ``Withdrawal``: the documented objects.

The ``_InvoiceBase`` and ``_WithdrawalBase`` classes hold the data, the validation and the
request building; the sync classes here and the async ones in ``_async_resources`` only add
the methods that send. Module settings (``ligdicash.api_key``, ...) are read when a request
is made, not when an object is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, Protocol, TypeVar, cast

from ._exceptions import ConfigurationError, InvalidAmountError, InvalidRequestError
from ._models import PaymentResponse, WalletOtpResponse
from ._operations import (
    CLIENT_PAYOUT,
    DIRECT_PAYIN,
    HOSTED_PAYIN,
    MERCHANT_PAYOUT,
    WALLET_PAYIN,
    Operation,
    PayinOrder,
    RequestSpec,
    ResultT,
    build_payin_body,
    build_payout_body,
    wallet_otp_spec,
)
from ._validation import (
    Amount,
    Secret,
    check_custom_data,
    check_otp,
    check_quantity,
    check_text,
    check_total,
    to_francs,
    to_phone,
)
from ._warnings import warn_missing_callback_url
from ._wire import mask_phone

__all__ = ["Invoice", "InvoiceItem", "Sender", "Withdrawal", "use_module_client"]

#: The client type a resource sends with: a ``Sender`` or an ``AsyncSender``.
ClientT = TypeVar("ClientT")


class Sender(Protocol):
    """What a sync resource sends with: :class:`~ligdicash.Client` is one.

    The resources name this protocol rather than ``Client``, which sits above them (it
    builds them in its ``Invoice()``/``Withdrawal()`` factories).
    """

    def _request(self, spec: RequestSpec[ResultT]) -> ResultT: ...


def _no_module_client() -> Sender:
    raise ConfigurationError("no module-level client: import ligdicash (its _facade sets it)")


# The module-level client, for the sync resources built without ``client=``: ``_facade``
# (above this module: it builds a ``Client``) installs its ``default_client`` when it is
# imported, and ``ligdicash/__init__.py`` imports it, so it is set before any resource sends.
_module_client: Callable[[], Sender] = _no_module_client


def use_module_client(provider: Callable[[], Sender]) -> None:
    """Make ``provider()`` the client of the sync resources built without ``client=``
    (called once, by ``_facade``, with its ``default_client``)."""
    global _module_client
    _module_client = provider


class _Bound(Generic[ClientT]):
    """The one way a resource gets its client: the ``client=`` constructor argument.

    ``client.Invoice(...)`` passes itself. Without one, :meth:`_module_client` decides,
    once per request: the sync classes use the module-level client (module settings are
    read when the request is made, as documented); the async ones raise, as there is no
    module-level async client.
    """

    def __init__(self, client: Optional[ClientT]) -> None:
        self._client = client

    def _module_client(self) -> ClientT:
        raise NotImplementedError

    def _sending_client(self) -> ClientT:
        return self._client if self._client is not None else self._module_client()


@dataclass(frozen=True)
class InvoiceItem:
    """One line of an invoice. Prices are whole CFA francs; quantity is at least 1."""

    name: str
    description: str
    quantity: int
    unit_price: int

    def __post_init__(self) -> None:
        check_text(self.name, "item name")
        check_text(self.description, "item description")
        object.__setattr__(self, "quantity", check_quantity(self.quantity))
        object.__setattr__(self, "unit_price", to_francs(self.unit_price, "unit_price"))

    @property
    def total_price(self) -> int:
        """``quantity x unit_price``."""
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        """The item as the wire expects it (``unit_price`` is mandatory on the live API)."""
        return {
            "name": self.name,
            "description": self.description,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "total_price": self.total_price,
        }


class _InvoiceBase(_Bound[ClientT]):
    """Invoice data and request building shared by :class:`Invoice` and ``AsyncInvoice``.

    ``client``: the client that sends its payments (``client.Invoice(...)`` passes it).
    """

    def __init__(
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
        client: Optional[ClientT] = None,
    ) -> None:
        super().__init__(client)
        # An invoice without lines (the documented ``items: []``): only total_amount counts.
        self._fixed_total: Optional[int] = (
            None if total_amount is None else to_francs(total_amount, "total_amount")
        )
        self.currency = check_text(currency, "currency") or "xof"
        self.description = check_text(description, "description")
        self.customer_firstname = check_text(customer_firstname, "customer_firstname")
        self.customer_lastname = check_text(customer_lastname, "customer_lastname")
        self.customer_email = check_text(customer_email, "customer_email")
        self.store_name = check_text(store_name, "store_name")
        self.store_website_url = check_text(store_website_url, "store_website_url")
        self.external_id = check_text(external_id, "external_id")
        self.items: list[InvoiceItem] = []

    def add_item(
        self, name: str, description: str, quantity: int, unit_price: Amount
    ) -> InvoiceItem:
        """Add a line to the invoice and return it.

        Raises:
            InvalidAmountError: ``unit_price`` is not whole CFA francs, or negative.
            InvalidRequestError: ``quantity`` is not an int of at least 1.
        """
        item = InvoiceItem(name, description, quantity, cast(int, unit_price))
        self.items.append(item)
        return item

    @property
    def total_amount(self) -> int:
        """The amount to collect, in CFA francs: the ``total_amount=`` given to the
        constructor if any, else the sum of the items' total prices."""
        if self._fixed_total is not None:
            return self._fixed_total
        return sum(item.total_price for item in self.items)

    def _payin_spec(
        self,
        *,
        operation: Operation,
        customer: str,
        otp: Secret,
        actions: dict[str, str],
        custom_data: Optional[Mapping[str, Any]],
    ) -> RequestSpec[PaymentResponse]:
        items_total = sum(item.total_price for item in self.items)
        if not self.items and self._fixed_total is None:
            raise InvalidRequestError(
                "the invoice has no items: call add_item(), or give Invoice(total_amount=...)"
            )
        if self.items and self._fixed_total is not None and self._fixed_total != items_total:
            # LigdiCash does not document which one it would charge: refuse the ambiguity.
            raise InvalidRequestError(
                f"total_amount={self._fixed_total} differs from the items' sum {items_total}: "
                "give one or the other, or make them agree"
            )
        order = PayinOrder(
            items=[item.to_dict() for item in self.items],
            total_amount=check_total(self.total_amount, "invoice total"),
            currency=self.currency,
            description=self.description,
            customer_firstname=self.customer_firstname,
            customer_lastname=self.customer_lastname,
            customer_email=self.customer_email,
            external_id=self.external_id,
            store_name=self.store_name,
            store_website_url=self.store_website_url,
        )
        body = build_payin_body(
            order,
            customer=customer,
            otp=otp,
            actions=actions,
            custom_data=check_custom_data(custom_data),
        )
        return RequestSpec(operation, "payment", body=body)

    def _hosted_spec(
        self,
        cancel_url: str,
        return_url: str,
        callback_url: str,
        custom_data: Optional[Mapping[str, Any]],
        customer: str,
    ) -> RequestSpec[PaymentResponse]:
        callback_url = check_text(callback_url, "callback_url")
        spec = self._payin_spec(
            operation=HOSTED_PAYIN,
            customer=to_phone(customer, required=False),
            otp=Secret(""),
            actions={
                "cancel_url": check_text(cancel_url, "cancel_url"),
                "return_url": check_text(return_url, "return_url"),
                "callback_url": callback_url,
            },
            custom_data=custom_data,
        )
        # Once the input is valid (a refused one is not sent). stacklevel 3: this frame,
        # pay_with_redirection, then the caller's line.
        warn_missing_callback_url("payin", callback_url, stacklevel=3)
        return spec

    def _direct_spec(
        self,
        otp: Secret,
        customer: str,
        callback_url: str,
        custom_data: Optional[Mapping[str, Any]],
    ) -> RequestSpec[PaymentResponse]:
        # The OTP goes into this one request body and is not stored on the invoice. It stays
        # a Secret all the way into the body, so no repr of a frame or of the body shows it.
        callback_url = check_text(callback_url, "callback_url")
        spec = self._payin_spec(
            operation=DIRECT_PAYIN,
            customer=to_phone(customer, required=True),
            otp=check_otp(otp),
            # As the provider's direct-payin example sends them: empty return and cancel URLs
            # (a PHP backend answers a missing key with "Undefined array key").
            actions={"cancel_url": "", "return_url": "", "callback_url": callback_url},
            custom_data=custom_data,
        )
        warn_missing_callback_url("payin", callback_url, stacklevel=3)
        return spec

    def _wallet_otp_spec(self, customer: str) -> RequestSpec[WalletOtpResponse]:
        # The OTP is bound to the number and the amount: the invoice's total, checked now.
        phone = to_phone(customer, required=True)
        if not self.items and self._fixed_total is None:
            raise InvalidRequestError(
                "the invoice has no items: call add_item(), or give Invoice(total_amount=...), "
                "first (the OTP is for its total)"
            )
        return wallet_otp_spec(phone, check_total(self.total_amount, "invoice total"))

    def _wallet_payin_spec(
        self,
        otp: Secret,
        customer: str,
        callback_url: str,
        custom_data: Optional[Mapping[str, Any]],
    ) -> RequestSpec[PaymentResponse]:
        checked = check_otp(otp)
        if not checked:
            raise InvalidRequestError(
                "otp is required: the code LigdiCash texted the customer after send_wallet_otp()"
            )
        callback_url = check_text(callback_url, "callback_url")
        spec = self._payin_spec(
            operation=WALLET_PAYIN,
            customer=to_phone(customer, required=True),
            otp=checked,
            actions={"callback_url": callback_url},
            custom_data=custom_data,
        )
        warn_missing_callback_url("payin", callback_url, stacklevel=3)
        return spec

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(description={self.description!r}, "
            f"currency={self.currency!r}, items={len(self.items)}, "
            f"total_amount={self.total_amount})"
        )


class Invoice(_InvoiceBase[Sender]):
    """An invoice to be paid through the hosted page or directly (phone + OTP).

    Example::

        invoice = ligdicash.Invoice(currency="xof", description="Order #42",
                                    store_name="MyStore")
        invoice.add_item(name="Shirt", description="Size M", quantity=2, unit_price=15000)
        response = invoice.pay_with_redirection(return_url=..., cancel_url=...,
                                                callback_url=..., custom_data={...})
        redirect(response.response_text)

    Without lines (a top-up, a donation): ``ligdicash.Invoice(description="Top-up",
    total_amount=5000)`` sends the documented ``items: []`` with that total. Given with
    items as well, ``total_amount`` must equal their sum (``InvalidRequestError`` otherwise).
    """

    def _module_client(self) -> Sender:
        return _module_client()  # the module settings, read now

    def pay_with_redirection(
        self,
        cancel_url: str = "",
        return_url: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
        *,
        customer: str = "",
    ) -> PaymentResponse:
        """Create a hosted-page payment; redirect the customer to ``response.response_text``.

        Leave ``customer`` empty (the default): a number filters the page's operators.
        Store ``response.token``: it is the only way to confirm the payment later.

        Raises:
            InvalidRequestError: bad input (no items, total out of range, ...); not sent.
            RequestRefusedError: a subclass for each refusal code of the payin family.
            APIConnectionError, APIStatusError, InvalidResponseError: network or server
                failures. A creation is never resent once it may have reached LigdiCash.
        """
        spec = self._hosted_spec(cancel_url, return_url, callback_url, custom_data, customer)
        return self._sending_client()._request(spec)

    def pay_without_redirection(
        self,
        otp: str = "",
        customer: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """Create a direct payment from the customer's number, with their OTP.

        Send ``otp=""`` for approval-mode operators. Raises the same errors as
        :meth:`pay_with_redirection`, plus :class:`FeatureNotTestableError` on the
        provider's test platform.
        """
        # Rebound first: from here on this frame (which error trackers capture with its
        # locals) holds the OTP only as a Secret, whose repr is redacted.
        otp = Secret(otp) if isinstance(otp, str) else otp
        spec = self._direct_spec(otp, customer, callback_url, custom_data)
        return self._sending_client()._request(spec)

    def send_wallet_otp(self, customer: str) -> WalletOtpResponse:
        """LigdiCash Wallet, step 1: have LigdiCash text ``customer`` an OTP for this total.

        ``GET …/pay/v02/debitotp/{customer}/{total}``. Show the OTP field only once this
        returns; then call :meth:`pay_with_wallet_otp` with the code the customer reads.
        Sent once: it is not retried once it may have reached LigdiCash (a second text may
        void the first OTP).

        Raises:
            InvalidRequestError: ``customer`` is not a phone number, or no items; not sent.
            InvalidAmountError: the total is out of range; not sent.
            WalletOtpNotSentError: LigdiCash answered ``"error": true`` (unknown wallet,
                ...); ``message`` holds its words.
            ConfigurationError: ``base_url`` does not end with ``/v01/`` (the ``v02`` root
                is derived from it).
            APIConnectionError, APIStatusError, InvalidResponseError: network or server.
        """
        spec = self._wallet_otp_spec(customer)
        return self._sending_client()._request(spec)

    def pay_with_wallet_otp(
        self,
        otp: str = "",
        customer: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """LigdiCash Wallet, step 2: pay this invoice with the OTP the customer received.

        ``POST …/pay/v02/debitwallet/withotp`` with the direct-payin body. Store
        ``response.token`` and confirm the payment as any payin (``get_transaction(token,
        "payin")``, the callback). Never resent once it may have reached LigdiCash.

        Raises:
            InvalidRequestError: empty ``otp``, bad ``customer``, no items; not sent.
            WrongOtpError, ExpiredOtpError, WrongWalletCredentialsError: the customer's
                side was refused (``Code15``, ``Code16``, ``Code14``): nothing was debited.
            RequestRefusedError: another refusal of the payin family.
            APIConnectionError, APIStatusError, InvalidResponseError: network or server.
        """
        # Rebound first: this frame holds the OTP only as a redacted Secret.
        otp = Secret(otp) if isinstance(otp, str) else otp
        spec = self._wallet_payin_spec(otp, customer, callback_url, custom_data)
        return self._sending_client()._request(spec)


class _WithdrawalBase(_Bound[ClientT]):
    """Payout data and request building shared by :class:`Withdrawal` and ``AsyncWithdrawal``.

    ``client``: the client that sends it (``client.Withdrawal(...)`` passes it).
    """

    def __init__(
        self,
        description: str = "",
        amount: Optional[Amount] = None,
        customer: str = "",
        *,
        client: Optional[ClientT] = None,
    ) -> None:
        super().__init__(client)
        self.description = check_text(description, "description")
        self.amount = self._check_amount(amount)
        self.customer = to_phone(customer, required=True)

    @staticmethod
    def _check_amount(amount: Optional[Amount]) -> int:
        if amount is None:
            raise InvalidAmountError("amount is required for a payout")
        return check_total(to_francs(amount, "amount", minimum=0), "payout amount")

    def _spec(
        self,
        type: str,
        to_wallet: bool,
        callback_url: str,
        custom_data: Optional[Mapping[str, Any]],
    ) -> RequestSpec[PaymentResponse]:
        if type not in ("client", "merchant"):
            raise InvalidRequestError(f"type must be 'client' or 'merchant', got {type!r}")
        if type == "merchant" and to_wallet:
            raise InvalidRequestError(
                "to_wallet=True only applies to type='client' (a merchant payout goes "
                "straight to mobile money)"
            )
        callback_url = check_text(callback_url, "callback_url")
        # Attributes may have been changed since __init__: check them again before sending.
        body = build_payout_body(
            amount=self._check_amount(self.amount),
            description=check_text(self.description, "description"),
            customer=to_phone(self.customer, required=True),
            custom_data=check_custom_data(custom_data),
            callback_url=callback_url,
            top_up_wallet=bool(to_wallet) if type == "client" else None,
        )
        operation = CLIENT_PAYOUT if type == "client" else MERCHANT_PAYOUT
        warn_missing_callback_url("payout", callback_url, stacklevel=3)
        return RequestSpec(operation, "payment", body=body)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(amount={self.amount}, "
            f"customer={mask_phone(self.customer)!r}, description={self.description!r})"
        )


class Withdrawal(_WithdrawalBase[Sender]):
    """A payout to a customer's number: refund, salary, payout.

    Example::

        withdrawal = ligdicash.Withdrawal(amount=5000, description="Refund",
                                          customer="22670123456")
        response = withdrawal.send(type="client", to_wallet=False, callback_url=...,
                                   custom_data={"transaction_id": "REFUND-1"})
        token = response.token
    """

    def _module_client(self) -> Sender:
        return _module_client()  # the module settings, read now

    def send(
        self,
        type: str = "client",
        to_wallet: bool = False,
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """Send the payout: ``type="client"`` via the LigdiCash wallet, ``"merchant"`` direct.

        ``to_wallet=True`` (client payouts only) keeps the money in the customer's LigdiCash
        wallet; ``False`` moves it on to the linked mobile-money account. A payout is
        never resent once it may have reached LigdiCash.

        Raises:
            InvalidAmountError, InvalidRequestError: bad input; nothing sent.
            FeatureNotTestableError: on the provider's test platform.
            RequestRefusedError: a subclass per refusal code of the payout family.
            APIConnectionError, APIStatusError, InvalidResponseError: network or server.
        """
        spec = self._spec(type, to_wallet, callback_url, custom_data)
        return self._sending_client()._request(spec)
