"""Which error class a refusal code means, per endpoint family and platform.

The tables are the wire contract's (docs/wire-contract.md, "Error codes by endpoint
family"): the same number means different things per family and per platform, so the
lookup always takes both. A code no table lists becomes :class:`UnknownRefusalError`,
which still keeps the code and the server's words.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from ._exceptions import (
    AmountOutOfRangeError,
    ApiError,
    ApplicationAuthenticationError,
    AuthenticationError,
    CustomerDoesNotExistError,
    DataInputError,
    ExpiredOtpError,
    InvalidAmountError,
    InvalidHashError,
    InvalidMethodError,
    InvoiceNotFoundError,
    IpDeniedError,
    MerchantAccountDoesNotExistError,
    MerchantBalanceLowError,
    MerchantPayinDisabledError,
    MerchantPayoutDisabledError,
    NoDeposit3MonthsError,
    NoHashError,
    NoNetworkAccessConfigurationError,
    NoPendingOrProcessedPayout24HError,
    ProcessingError,
    RecipientOperatorNotIdentifiedError,
    RequestRefusedError,
    SendingError,
    TransactionAlreadyExistError,
    UnauthorizedCurrencyConversionError,
    UnauthorizedMethodError,
    UnknownRefusalError,
    WrongOtpError,
    WrongWalletCredentialsError,
)

Family = Literal["payin", "client_payout", "merchant_payout", "status"]
Platform = Literal["live", "test"]
_Table = dict[str, type[RequestRefusedError]]

_PAYIN_LIVE: _Table = {
    "00": AuthenticationError,
    "01": MerchantPayinDisabledError,
    "02": InvalidAmountError,
    "03": IpDeniedError,
    "04": ProcessingError,
    "05": SendingError,
    "06": SendingError,
    "07": NoNetworkAccessConfigurationError,
    "08": DataInputError,
    "09": ApiError,
    "10": NoHashError,
    "11": InvalidHashError,
    "12": InvalidMethodError,
    "13": UnauthorizedMethodError,
    # The LigdiCash Wallet codes (developers.ligdicash.com/en/errors/sub-codes, createInvoice).
    "14": WrongWalletCredentialsError,
    "15": WrongOtpError,
    "16": ExpiredOtpError,
}
# The provider's test platform only documents the first five codes, with 01 meaning
# something else than on live; the wallet codes (14-16) clash with none of them, so they
# are named there too (the sandbox answers them on either platform).
_PAYIN_TEST: _Table = {
    "00": AuthenticationError,
    "01": ApplicationAuthenticationError,
    "02": InvalidAmountError,
    "03": IpDeniedError,
    "04": ProcessingError,
    "14": WrongWalletCredentialsError,
    "15": WrongOtpError,
    "16": ExpiredOtpError,
}
_CLIENT_PAYOUT: _Table = {
    "00": AuthenticationError,
    "01": MerchantPayoutDisabledError,
    "02": CustomerDoesNotExistError,
    "03": MerchantAccountDoesNotExistError,
    "03a": NoPendingOrProcessedPayout24HError,
    "03b": NoDeposit3MonthsError,
    "04": MerchantBalanceLowError,
    "05": AmountOutOfRangeError,
    "06": IpDeniedError,
    "07": TransactionAlreadyExistError,
    "08": ProcessingError,
    "09": DataInputError,
    "10": ApiError,
    "13": NoHashError,
    "14": InvalidHashError,
}
_MERCHANT_PAYOUT: _Table = {
    "00": AuthenticationError,
    "01": ApplicationAuthenticationError,
    "02": AmountOutOfRangeError,
    "03": MerchantAccountDoesNotExistError,
    "04": NoPendingOrProcessedPayout24HError,
    "05": RecipientOperatorNotIdentifiedError,
    # The provider's SDK (ligdicash==1.0.5) said "merchant account does not exist"; the
    # newer common-errors page (developers.ligdicash.com/en/errors/common-errors) says Code06
    # on createStraightWithdrawal is "IP Denied". The newest source wins.
    "06": IpDeniedError,
    "07": MerchantAccountDoesNotExistError,
    "08": MerchantBalanceLowError,
    "09": ProcessingError,
    "10": ApiError,
    "11": NoHashError,
    "12": InvalidHashError,
    "13": UnauthorizedCurrencyConversionError,
    "14": IpDeniedError,
}
_STATUS_LIVE: _Table = {
    "00": AuthenticationError,
    "01": MerchantPayinDisabledError,
    "02": InvoiceNotFoundError,
    "03": ProcessingError,
    "04": DataInputError,
}
_STATUS_TEST: _Table = {
    "00": AuthenticationError,
    "01": ApplicationAuthenticationError,
    "02": InvoiceNotFoundError,
    "03": ProcessingError,
}

TABLES: dict[tuple[Family, Platform], _Table] = {
    ("payin", "live"): _PAYIN_LIVE,
    ("payin", "test"): _PAYIN_TEST,
    ("client_payout", "live"): _CLIENT_PAYOUT,
    ("client_payout", "test"): _CLIENT_PAYOUT,
    ("merchant_payout", "live"): _MERCHANT_PAYOUT,
    ("merchant_payout", "test"): _MERCHANT_PAYOUT,
    ("status", "live"): _STATUS_LIVE,
    ("status", "test"): _STATUS_TEST,
}

# "Echec (Code02)", "Echec (Code03a)", "Echec(code 15)". The letter suffix is part of the code.
_CODE_RE = re.compile(r"code\s*0*(\d{1,3}[a-z]?)\b", re.IGNORECASE)


def extract_refusal_code(response_text: str) -> Optional[str]:
    """Return the two-digit refusal code in ``response_text`` (``"03a"``), or ``None``."""
    match = _CODE_RE.search(response_text or "")
    if match is None:
        return None
    digits = match.group(1).lower()
    number = "".join(ch for ch in digits if ch.isdigit())
    suffix = digits[len(number) :]
    return number.zfill(2) + suffix


def refusal_class(
    code: Optional[str], family: Family, platform: Platform
) -> type[RequestRefusedError]:
    """Pick the error class for ``code`` on an endpoint ``family`` and ``platform``."""
    if code is None:
        return UnknownRefusalError
    return TABLES[(family, platform)].get(code, UnknownRefusalError)


def refusal_error(
    body: dict[str, Any],
    *,
    family: Family,
    platform: Platform,
    operation: str,
    http_status: int,
    wiki: list[str],
) -> RequestRefusedError:
    """Build the error for a refusal answer ``body`` (``response_code`` other than ``"00"``)."""
    response_text = str(body.get("response_text") or "")
    details = str(body.get("response_text_details") or "")
    code = extract_refusal_code(response_text)
    cls = refusal_class(code, family, platform)
    message = cls.default_message
    if cls is UnknownRefusalError:
        message = f"LigdiCash refused the request ({response_text or 'no response_text'})"
    if details:
        message = f"{message}: {details}"
    return cls(
        message,
        code=code or "unknown",
        operation=operation,
        response_text=response_text,
        response_text_details=details,
        wiki=wiki,
        http_status=http_status,
        raw=body,
    )
