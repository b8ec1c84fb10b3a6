"""Refusal codes of the LigdiCash API, per endpoint family and platform, as the sandbox uses them.

The same two-digit code means different things per family (see ``docs/wire-contract.md``).
The sandbox only ever answers the codes named by the constants below; ``CODE_NAMES`` keeps the
whole observed table so the dashboard and the docs can name what a code means.
"""

from __future__ import annotations

from typing import Any, Literal

Family = Literal["payin", "client_payout", "merchant_payout", "status"]

WIKI_BASE = "https://client.ligdicash.com/wiki/"

WIKI: dict[str, str] = {
    "payin": WIKI_BASE + "createInvoice",
    "client_payout": WIKI_BASE + "createWithdrawal",
    # The wiki table of developers.ligdicash.com names createStraightWithdrawal for
    # straight/payout (docs/wire-contract.md, [wiki]); "straightPayout" was never documented.
    "merchant_payout": WIKI_BASE + "createStraightWithdrawal",
    "status": WIKI_BASE + "confirmInvoice",
}

CODE_NAMES: dict[str, dict[str, str]] = {
    "payin_live": {
        "00": "Authentication", "01": "MerchantPayinDisabled", "02": "InvalidAmount",
        "03": "IpDenied", "04": "Processing", "05": "Sending", "06": "Sending",
        "07": "NoNetworkAccessConfiguration", "08": "DataInput", "09": "Api", "10": "NoHash",
        "11": "InvalidHash", "12": "InvalidMethod", "13": "UnauthorizedMethod",
        "14": "WrongWalletCredentials", "15": "WrongOtp", "16": "ExpiredOtp",
    },
    "payin_test": {
        "00": "Authentication", "01": "ApplicationAuthentication", "02": "InvalidAmount",
        "03": "IpDenied", "04": "Processing",
        "14": "WrongWalletCredentials", "15": "WrongOtp", "16": "ExpiredOtp",
    },
    "client_payout": {
        "00": "Authentication", "01": "MerchantPayoutDisabled", "02": "CustomerDoesNotExist",
        "03": "MerchantAccountDoesNotExist", "03a": "NoPendingOrProcessedPayout24H",
        "03b": "NoDeposit3Months", "04": "MerchantBalanceLow", "05": "AmountOutOfRange",
        "06": "IpDenied", "07": "TransactionAlreadyExist", "08": "Processing", "09": "DataInput",
        "10": "Api", "13": "NoHash", "14": "InvalidHash",
    },
    "merchant_payout": {
        "00": "Authentication", "01": "ApplicationAuthentication", "02": "AmountOutOfRange",
        "03": "MerchantAccountDoesNotExist", "04": "NoPendingOrProcessedPayout24H",
        "05": "RecipientOperatorNotIdentified", "06": "IpDenied",
        "07": "MerchantAccountDoesNotExist", "08": "MerchantBalanceLow", "09": "Processing",
        "10": "Api", "11": "NoHash", "12": "InvalidHash", "13": "UnauthorizedCurrencyConversion",
        "14": "IpDenied",
    },
    "status_live": {
        "00": "Authentication", "01": "MerchantPayinDisabled", "02": "InvoiceNotFound",
        "03": "Processing", "04": "DataInput",
    },
    "status_test": {
        "00": "Authentication", "01": "ApplicationAuthentication", "02": "InvoiceNotFound",
        "03": "Processing",
    },
}  # fmt: skip

AUTHENTICATION = "00"
"""Wrong or missing ``Apikey`` / ``Authorization: Bearer`` (every family)."""

AMOUNT: dict[str, str] = {"payin": "02", "client_payout": "05", "merchant_payout": "02"}
"""Amount outside [9; 2,000,000], or under the operator's minimum."""

MISSING_KEY: dict[str, str] = {
    "payin": "04",
    "client_payout": "08",
    "merchant_payout": "09",
    "status": "03",
}
"""A body or query key the PHP backend reads is missing (``Undefined array key "..."``): the
family's *Processing* code, as observed live for an item without ``unit_price`` (payin Code04)."""

OTP_REFUSED = "15"
"""Wrong OTP (createInvoice sub-code 15): a wallet payin with a wrong OTP, and a direct payin
to an OTP-mode operator without an OTP (seen live as Code15)."""
WRONG_WALLET_CREDENTIALS = "14"
"""A wallet payin for a number with no LigdiCash wallet (createInvoice sub-code 14)."""
EXPIRED_OTP = "16"
"""A wallet payin whose OTP was right but expired (createInvoice sub-code 16)."""

UNKNOWN_OPERATOR_PAYIN: dict[str, str] = {"live": "08", "test": "04"}
"""Direct payin to a number no operator serves: live DataInput (08), test Processing (04)."""

INVALID_METHOD_PAYIN = "12"
CUSTOMER_DOES_NOT_EXIST = "02"  # client payout
RECIPIENT_OPERATOR_NOT_IDENTIFIED = "05"  # merchant payout
BALANCE_LOW: dict[str, str] = {"client_payout": "04", "merchant_payout": "08"}
DUPLICATE: dict[str, str] = {"client_payout": "07", "merchant_payout": "04"}
"""Repeated ``custom_data.transaction_id``: client payout TransactionAlreadyExist (07); the
merchant payout table has no such class, its closest is NoPendingOrProcessedPayout24H (04)."""

INVOICE_NOT_FOUND = "02"  # status


def code_name(family: str, code: str, platform: str) -> str:
    """The error class a code stands for in a family on a platform ('' if unknown)."""
    table = CODE_NAMES.get(f"{family}_{platform}") or CODE_NAMES.get(family) or {}
    return table.get(code, "")


def refusal(family: Family, code: str, details: str) -> dict[str, Any]:
    """The JSON object the API answers (with HTTP 200) when it refuses a request."""
    return {
        "response_code": "01",
        "token": "",
        "response_text": f"Echec (Code{code})",
        "response_text_details": details,
        "description": "",
        "custom_data": [],
        "wiki": WIKI[family],
    }


def missing_key(family: Family, key: str) -> dict[str, Any]:
    """The refusal for a key the backend reads but the request lacks."""
    return refusal(family, MISSING_KEY[family], f'Undefined array key "{key}"')
