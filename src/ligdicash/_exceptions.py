"""Every error the SDK raises, as one tree rooted at :class:`LigdicashError`.

::

    LigdicashError                       .code, .message, .operation,
    │                                    .request_may_have_been_sent, .request_record
    ├── ConfigurationError               missing credentials, bad platform or base_url
    ├── InvalidRequestError (ValueError) bad input caught before anything is sent
    │   ├── StoreURLError                a store or ledger URL that cannot be opened
    │   │                                (also a ConfigurationError)
    │   ├── InvalidAmountError*          also a refusal (see below)
    │   ├── InvalidTokenError*
    │   └── FeatureNotTestableError
    ├── ClientClosedError                the client was closed
    ├── APIConnectionError               the network failed
    │   └── APITimeoutError
    ├── APIStatusError                   HTTP status other than 200 (.http_status)
    │   ├── RateLimitError               429
    │   └── ServerError                  5xx, including HTML gateway pages
    ├── InvalidResponseError             200 but not a JSON object (HTML, truncated, ...)
    ├── RequestRefusedError              LigdiCash answered "Echec (CodeNN)"
    │   ├── AuthenticationError, MerchantPayinDisabledError, ... (one per table row)
    │   ├── WalletOtpError               the LigdiCash Wallet customer's side refused
    │   │   ├── WrongWalletCredentialsError, WrongOtpError, ExpiredOtpError (Code14-16)
    │   │   └── WalletOtpNotSentError    debitotp answered ``"error": true``
    │   └── UnknownRefusalError          a code that no table knows
    ├── WaitTimeoutError                 a transaction did not settle in time
    ├── StoreUnavailableError            the store's database or Redis failed or is down
    └── CallbackError                    incoming callbacks
        ├── InvalidCallbackError         unreadable body; hash missing or wrong (.code)
        └── CallbackMismatchError        the status call disagrees (.field, .transaction)

No error ever carries ``api_key`` or ``auth_token``: errors keep the operation, the
method and path, the server's words and the redacted request record, never headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ._records import RequestRecord

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmountOutOfRangeError",
    "ApiError",
    "ApplicationAuthenticationError",
    "AuthenticationError",
    "CallbackError",
    "CallbackMismatchError",
    "ClientClosedError",
    "ConfigurationError",
    "CustomerDoesNotExistError",
    "DataInputError",
    "ExpiredOtpError",
    "FeatureNotTestableError",
    "InvalidAmountError",
    "InvalidCallbackError",
    "InvalidHashError",
    "InvalidMethodError",
    "InvalidRequestError",
    "InvalidResponseError",
    "InvalidTokenError",
    "InvoiceNotFoundError",
    "IpDeniedError",
    "LigdicashError",
    "MerchantAccountDoesNotExistError",
    "MerchantBalanceLowError",
    "MerchantPayinDisabledError",
    "MerchantPayoutDisabledError",
    "NoDeposit3MonthsError",
    "NoDeposit24HError",
    "NoHashError",
    "NoNetworkAccessConfigurationError",
    "NoPendingOrProcessedPayout24HError",
    "ProcessingError",
    "RateLimitError",
    "RecipientOperatorNotIdentifiedError",
    "RequestRefusedError",
    "SendingError",
    "ServerError",
    "StoreURLError",
    "StoreUnavailableError",
    "TransactionAlreadyExistError",
    "UnauthorizedCurrencyConversionError",
    "UnauthorizedMethodError",
    "UnknownRefusalError",
    "WaitTimeoutError",
    "WalletOtpError",
    "WalletOtpNotSentError",
    "WrongOtpError",
    "WrongWalletCredentialsError",
]


class LigdicashError(Exception):
    """Base class of every error raised by this SDK.

    Attributes:
        code: a short machine-readable code. For refusals it is the server's code
            (``"02"``, ``"03a"``); for local errors a word such as ``"invalid_request"``,
            ``"connection"``, ``"timeout"`` or ``"http_502"``.
        message: a sentence a person can act on.
        operation: which SDK operation failed (``"hosted_payin"``, ``"payin_status"``, ...),
            or ``None`` when no operation was under way.
        request_record: what was (or was about to be) sent, with the OTP redacted.
        request_may_have_been_sent: ``True`` when the request may have reached LigdiCash
            and what became of it is unknown (a network failure after the first byte, a
            5xx or gateway page, an unreadable 200). On a payment or payout the money may
            be moving: do not send it again; look it up first (the message says how).
            ``False`` for errors raised before anything was sent and for answers that
            settle the outcome (a refusal, a 4xx).
    """

    default_code = "error"
    default_message = "LigdiCash error"

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        code: Optional[str] = None,
        operation: Optional[str] = None,
        request_record: Optional[RequestRecord] = None,
        request_may_have_been_sent: bool = False,
    ) -> None:
        self.code: str = code if code is not None else self.default_code
        self.request_may_have_been_sent = request_may_have_been_sent
        self.message: str = message if message is not None else self.default_message
        self.operation = operation
        self.request_record = request_record
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f" during {self.operation}" if self.operation else ""
        return f"[{self.code}] {self.message}{where}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    # The provider's SDK exposed getters; keep them so its users can switch without edits.
    def get_code(self) -> str:
        """Return :attr:`code` (kept for compatibility with ligdicash 1.x)."""
        return self.code

    def get_message(self) -> str:
        """Return :attr:`message` (kept for compatibility with ligdicash 1.x)."""
        return self.message


class ConfigurationError(LigdicashError):
    """The SDK is not configured well enough to send anything (credentials, platform, URL)."""

    default_code = "configuration"


class StoreUnavailableError(LigdicashError):
    """The store (SQLite file, PostgreSQL, Redis) failed or could not be reached.

    Nothing is known to have been written; the next call reconnects. The message names the
    backend and its URL with the password hidden.
    """

    default_code = "store_unavailable"


class InvalidRequestError(LigdicashError, ValueError):
    """Input refused before any request left the machine."""

    default_code = "invalid_request"


class StoreURLError(ConfigurationError, InvalidRequestError):
    """A store or ledger URL that cannot be used: an unknown or unsuitable scheme, a
    malformed URL, or a database that refuses it for good (no such database or role, a
    wrong password). Both URL factories raise it (:func:`ligdicash.open_store`,
    :func:`ligdicash.payouts.open_ledger`); it is also a :class:`ConfigurationError` and
    an :class:`InvalidRequestError`, what each of them raised before. The message never
    holds the URL's password.
    """

    default_code = "store_url"


class ClientClosedError(LigdicashError):
    """The client was closed; create a new one."""

    default_code = "client_closed"
    default_message = "This client has been closed; create a new Client to send requests."


class APIConnectionError(LigdicashError):
    """The request could not be completed because of the network.

    ``request_may_have_been_sent`` is ``False`` only when httpcore's trace of the attempt
    shows that no byte of the request was written (connection refused, DNS failure);
    when there is no such evidence it is ``True``.
    """

    default_code = "connection"


class APITimeoutError(APIConnectionError):
    """The server did not answer within the configured timeout."""

    default_code = "timeout"


class APIStatusError(LigdicashError):
    """The server answered with an HTTP status other than 200.

    LigdiCash answers every request, refusals included, with HTTP 200; any other status
    comes from a proxy, a gateway or an outage.

    Attributes:
        http_status: the HTTP status code.
        body_excerpt: the first characters of the body, to help diagnose a proxy page.
        retry_after: seconds from a ``Retry-After`` header, when there was one.
    """

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        http_status: int,
        body_excerpt: str = "",
        retry_after: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        self.http_status = http_status
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after
        kwargs.setdefault("code", f"http_{http_status}")
        super().__init__(message, **kwargs)


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests; slow down (status checks: not more than every ~3 s)."""


class ServerError(APIStatusError):
    """HTTP 5xx: LigdiCash or a gateway in front of it failed."""


class InvalidResponseError(LigdicashError):
    """HTTP 200, but the body is not the JSON object LigdiCash always sends."""

    default_code = "invalid_response"

    def __init__(
        self, message: Optional[str] = None, *, body_excerpt: str = "", **kwargs: Any
    ) -> None:
        self.body_excerpt = body_excerpt
        super().__init__(message, **kwargs)


class RequestRefusedError(LigdicashError):
    """LigdiCash refused the request (``response_code "01"``, ``Echec (CodeNN)``).

    The class is chosen from the code *and* the endpoint family and platform, because the
    same number means different things on different endpoints.

    Attributes:
        response_text: the server's text, e.g. ``"Echec (Code02)"``.
        response_text_details: the precise cause when the server gives one.
        wiki: links to the endpoint's error-code page.
        http_status: the HTTP status of the answer (200 for real refusals; ``None`` when
            the SDK refused the input itself, before sending).
        raw: the whole answer as parsed JSON.
    """

    default_code = "refused"

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        response_text: str = "",
        response_text_details: str = "",
        wiki: Optional[list[str]] = None,
        http_status: Optional[int] = None,
        raw: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        self.response_text = response_text
        self.response_text_details = response_text_details
        self.wiki = list(wiki or [])
        self.http_status = http_status
        self.raw = dict(raw or {})
        super().__init__(message, **kwargs)


class UnknownRefusalError(RequestRefusedError):
    """A refusal whose code no known table lists; it keeps the code and the server's words."""


# One class per row of the wire contract's tables (and the documented ones).
class AuthenticationError(RequestRefusedError):
    """Invalid api_key or auth_token."""

    default_message = "Invalid api_key or auth_token"


class ApplicationAuthenticationError(RequestRefusedError):
    """Unable to authenticate your application."""

    default_message = "Unable to authenticate your application"


class MerchantPayinDisabledError(RequestRefusedError):
    """Payin is not enabled on this project."""

    default_message = "Payin is not enabled on this project"


class MerchantPayoutDisabledError(RequestRefusedError):
    """Payout is not enabled on this project."""

    default_message = "Payout is not enabled on this project"


class MerchantBalanceLowError(RequestRefusedError):
    """Merchant balance too low."""

    default_message = "Merchant balance too low"


class CustomerDoesNotExistError(RequestRefusedError):
    """Customer not registered on the platform."""

    default_message = "Customer not registered on the platform"


class TransactionAlreadyExistError(RequestRefusedError):
    """Transaction already created."""

    default_message = "Transaction already created"


class InvoiceNotFoundError(RequestRefusedError):
    """Invoice not found."""

    default_message = "Invoice not found"


class RecipientOperatorNotIdentifiedError(RequestRefusedError):
    """Recipient's operator not identified."""

    default_message = "Recipient's operator not identified"


class MerchantAccountDoesNotExistError(RequestRefusedError):
    """No merchant account on the specified network."""

    default_message = "No merchant account on the specified network"


class NoPendingOrProcessedPayout24HError(RequestRefusedError):
    """No pending or processed payout in the last 24 hours."""

    default_message = "No pending or processed payout in the last 24 hours"


class NoDeposit3MonthsError(RequestRefusedError):
    """No deposit within the last 3 months."""

    default_message = "No deposit within the last 3 months"


class NoDeposit24HError(RequestRefusedError):
    """No deposit within the last 24 hours."""

    default_message = "No deposit within the last 24 hours"


class UnauthorizedCurrencyConversionError(RequestRefusedError):
    """Currency conversion not authorised."""

    default_message = "Currency conversion not authorised"


class IpDeniedError(RequestRefusedError):
    """This IP address is not allowed for the project."""

    default_message = "This IP address is not allowed for the project"


class ProcessingError(RequestRefusedError):
    """LigdiCash failed while processing the request."""

    default_message = "LigdiCash failed while processing the request"


class SendingError(RequestRefusedError):
    """LigdiCash failed while sending the request to the operator."""

    default_message = "LigdiCash failed while sending the request to the operator"


class DataInputError(RequestRefusedError):
    """The request data was refused."""

    default_message = "The request data was refused"


class ApiError(RequestRefusedError):
    """LigdiCash API error."""

    default_message = "LigdiCash API error"


class NoHashError(RequestRefusedError):
    """No hash provided."""

    default_message = "No hash provided"


class InvalidHashError(RequestRefusedError):
    """Invalid hash."""

    default_message = "Invalid hash"


class NoNetworkAccessConfigurationError(RequestRefusedError):
    """No network access configured for this project."""

    default_message = "No network access configured for this project"


class UnauthorizedMethodError(RequestRefusedError):
    """Method not authorised for this project."""

    default_message = "Method not authorised for this project"


class InvalidMethodError(RequestRefusedError):
    """Invalid method."""

    default_message = "Invalid method"


class WalletOtpError(RequestRefusedError):
    """The customer's side of a LigdiCash Wallet payment was refused (OTP or wallet).

    The family of :class:`WrongWalletCredentialsError`, :class:`WrongOtpError`,
    :class:`ExpiredOtpError` and :class:`WalletOtpNotSentError`: nothing was debited; ask
    the customer again (another OTP, the right number) rather than resending as is.
    """


class WrongWalletCredentialsError(WalletOtpError):
    """The customer's LigdiCash Wallet credentials were refused (payin ``Code14``)."""

    default_message = "Wrong wallet credentials"


class WrongOtpError(WalletOtpError):
    """The OTP is wrong (payin ``Code15``): ask the customer to read it again.

    Also what LigdiCash answers to a direct payin sent to an OTP operator without an OTP.
    """

    default_message = "Wrong OTP"


class ExpiredOtpError(WalletOtpError):
    """The OTP has expired (payin ``Code16``): have a new one sent, then pay again."""

    default_message = "Expired OTP"


class WalletOtpNotSentError(WalletOtpError):
    """``debitotp`` answered ``"error": true``: no OTP was sent (unknown wallet, amount, ...).

    ``message`` and ``response_text`` hold the server's words; do not show the OTP field.
    """

    default_code = "wallet_otp_not_sent"
    default_message = "LigdiCash did not send the wallet OTP"


class InvalidAmountError(RequestRefusedError, InvalidRequestError):
    """The amount is outside [9; 2,000,000] CFA francs, or not whole francs.

    Raised by the SDK before sending (only for what every documented range refuses), and
    for the server's own amount refusals (an operator's narrower limits, e.g. a 100 XOF
    minimum).
    """

    default_code = "invalid_amount"
    default_message = "Amount outside [9; 2,000,000] CFA francs or the operator's limits"


class AmountOutOfRangeError(InvalidAmountError):
    """LigdiCash refused the payout amount as out of range (payout endpoints' code)."""


class InvalidTokenError(RequestRefusedError, InvalidRequestError):
    """The transaction token is invalid or missing."""

    default_code = "invalid_token"
    default_message = "Invalid or missing token"


class FeatureNotTestableError(InvalidRequestError):
    """The operation cannot run on the provider's ``test`` platform (direct payin, payouts).

    Use the local sandbox (``ligdicash sandbox``) to test these flows.
    """

    default_code = "not_testable"
    default_message = "This feature is unavailable on LigdiCash's test platform"


class WaitTimeoutError(LigdicashError):
    """A transaction was still not final when the wait ran out.

    Attributes:
        transaction: the last transaction seen (``None`` if no status call succeeded).
    """

    default_code = "wait_timeout"

    def __init__(
        self, message: Optional[str] = None, *, transaction: Any = None, **kwargs: Any
    ) -> None:
        self.transaction = transaction
        super().__init__(message, **kwargs)


class CallbackError(LigdicashError):
    """Base class of the errors about incoming callbacks."""

    default_code = "callback"


class InvalidCallbackError(CallbackError):
    """A callback body that cannot be read, or whose ``hash`` is missing or wrong.

    ``code`` says which: ``"invalid_callback"`` (unreadable body, no token, no status),
    ``"missing_hash"`` or ``"invalid_hash"`` (from :meth:`Callback.verify_hash`).
    """

    default_code = "invalid_callback"
    default_message = "The callback body is not a LigdiCash callback"


class CallbackMismatchError(CallbackError):
    """The status call does not confirm what the callback (or your records) claim.

    Never deliver on such a callback. ``field`` says what disagrees: ``"status"``,
    ``"amount"``, ``"custom_data"`` or ``"transaction_id"``.

    Attributes:
        field: the first field that disagrees.
        transaction: the :class:`Transaction` the status call returned.
    """

    default_code = "callback_mismatch"

    def __init__(
        self,
        message: Optional[str] = None,
        *,
        field: str = "",
        transaction: Any = None,
        **kwargs: Any,
    ) -> None:
        self.field = field
        self.transaction = transaction
        super().__init__(message, **kwargs)
