"""``AsyncInvoice`` and ``AsyncWithdrawal``: the documented objects, with awaitable sending.

They inherit the data, validation, request building and client binding of ``_InvoiceBase``
and ``_WithdrawalBase``; only the methods that send differ (they are coroutines). Create
them with :meth:`AsyncClient.Invoice` and :meth:`AsyncClient.Withdrawal` (or pass
``client=``): there is no module-level async client to fall back on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Protocol

from ._exceptions import ConfigurationError
from ._models import PaymentResponse, WalletOtpResponse
from ._operations import RequestSpec, ResultT
from ._resources import _InvoiceBase, _WithdrawalBase
from ._validation import Secret

__all__ = ["AsyncInvoice", "AsyncSender", "AsyncWithdrawal"]


class AsyncSender(Protocol):
    """What an async resource sends with: :class:`~ligdicash.AsyncClient` is one (named
    by this protocol, as the client sits above the resources it builds)."""

    async def _request(self, spec: RequestSpec[ResultT]) -> ResultT: ...


def _unbound(kind: str) -> ConfigurationError:
    return ConfigurationError(
        f"this {kind} is not bound to an AsyncClient: create it with client.{kind}(...) "
        "(there is no module-level async client)"
    )


class AsyncInvoice(_InvoiceBase[AsyncSender]):
    """An :class:`Invoice` whose payment methods are coroutines.

    Example::

        async with ligdicash.AsyncClient(api_key=..., auth_token=...) as client:
            invoice = client.Invoice(currency="xof", description="Order #42")
            invoice.add_item(name="Shirt", description="Size M", quantity=2,
                             unit_price=15000)
            response = await invoice.pay_with_redirection(return_url=..., cancel_url=...,
                                                          callback_url=...)
    """

    def _module_client(self) -> AsyncSender:
        raise _unbound("Invoice")

    async def pay_with_redirection(
        self,
        cancel_url: str = "",
        return_url: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
        *,
        customer: str = "",
    ) -> PaymentResponse:
        """Create a hosted-page payment; see :meth:`Invoice.pay_with_redirection`.

        Raises:
            ConfigurationError: the invoice was not created by an ``AsyncClient``.
            InvalidRequestError, RequestRefusedError, APIConnectionError, APIStatusError,
                InvalidResponseError: as for :meth:`Invoice.pay_with_redirection`.
        """
        client = self._sending_client()
        spec = self._hosted_spec(cancel_url, return_url, callback_url, custom_data, customer)
        return await client._request(spec)

    async def pay_without_redirection(
        self,
        otp: str = "",
        customer: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """Create a direct payment (phone + OTP); see :meth:`Invoice.pay_without_redirection`.

        Raises:
            ConfigurationError: the invoice was not created by an ``AsyncClient``.
            FeatureNotTestableError: on the provider's test platform.
            InvalidRequestError, RequestRefusedError, APIConnectionError, APIStatusError,
                InvalidResponseError: as for :meth:`Invoice.pay_without_redirection`.
        """
        # Rebound first: this coroutine's frame holds the OTP only as a redacted Secret.
        otp = Secret(otp) if isinstance(otp, str) else otp
        client = self._sending_client()
        spec = self._direct_spec(otp, customer, callback_url, custom_data)
        return await client._request(spec)

    async def send_wallet_otp(self, customer: str) -> WalletOtpResponse:
        """LigdiCash Wallet, step 1; see :meth:`Invoice.send_wallet_otp`.

        Raises:
            ConfigurationError: the invoice was not created by an ``AsyncClient``.
            InvalidRequestError, InvalidAmountError, WalletOtpNotSentError,
                APIConnectionError, APIStatusError, InvalidResponseError: as for
                :meth:`Invoice.send_wallet_otp`.
        """
        client = self._sending_client()
        spec = self._wallet_otp_spec(customer)
        return await client._request(spec)

    async def pay_with_wallet_otp(
        self,
        otp: str = "",
        customer: str = "",
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """LigdiCash Wallet, step 2; see :meth:`Invoice.pay_with_wallet_otp`.

        Raises:
            ConfigurationError: the invoice was not created by an ``AsyncClient``.
            InvalidRequestError, WrongOtpError, ExpiredOtpError,
                WrongWalletCredentialsError, RequestRefusedError, APIConnectionError,
                APIStatusError, InvalidResponseError: as for
                :meth:`Invoice.pay_with_wallet_otp`.
        """
        # Rebound first: this coroutine's frame holds the OTP only as a redacted Secret.
        otp = Secret(otp) if isinstance(otp, str) else otp
        client = self._sending_client()
        spec = self._wallet_payin_spec(otp, customer, callback_url, custom_data)
        return await client._request(spec)


class AsyncWithdrawal(_WithdrawalBase[AsyncSender]):
    """A :class:`Withdrawal` whose :meth:`send` is a coroutine.

    Example::

        withdrawal = client.Withdrawal(amount=5000, description="Refund",
                                       customer="22670123456")
        response = await withdrawal.send(type="client", callback_url=...)
    """

    def _module_client(self) -> AsyncSender:
        raise _unbound("Withdrawal")

    async def send(
        self,
        type: str = "client",
        to_wallet: bool = False,
        callback_url: str = "",
        custom_data: Optional[Mapping[str, Any]] = None,
    ) -> PaymentResponse:
        """Send the payout; see :meth:`Withdrawal.send`. Never resent once it may have left.

        Raises:
            ConfigurationError: the withdrawal was not created by an ``AsyncClient``.
            InvalidAmountError, InvalidRequestError, FeatureNotTestableError,
                RequestRefusedError, APIConnectionError, APIStatusError,
                InvalidResponseError: as for :meth:`Withdrawal.send`.
        """
        client = self._sending_client()
        spec = self._spec(type, to_wallet, callback_url, custom_data)
        return await client._request(spec)
