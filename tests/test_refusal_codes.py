"""Each row of the wire contract's error tables raises its class, per family and platform."""

from __future__ import annotations

from typing import Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash, refusal
from ligdicash._codes import TABLES, extract_refusal_code
from sdk_helpers import make_invoice

L = ligdicash


def _hosted(c: ligdicash.Client) -> object:
    return make_invoice(c).pay_with_redirection(return_url="r", cancel_url="c")


def _client_payout(c: ligdicash.Client) -> object:
    return c.Withdrawal("Refund", 5000, "22670123456").send(type="client")


def _merchant_payout(c: ligdicash.Client) -> object:
    return c.Withdrawal("Pay", 5000, "22670123456").send(type="merchant")


def _status(c: ligdicash.Client) -> object:
    return c.get_transaction("tok", "payin")


CALLS: dict[str, Callable[[ligdicash.Client], object]] = {
    "payin": _hosted,
    "client_payout": _client_payout,
    "merchant_payout": _merchant_payout,
    "status": _status,
}

# The tables of docs/wire-contract.md, restated independently of the code under test.
EXPECTED = {
    ("payin", "live"): {
        "00": L.AuthenticationError, "01": L.MerchantPayinDisabledError,
        "02": L.InvalidAmountError, "03": L.IpDeniedError, "04": L.ProcessingError,
        "05": L.SendingError, "06": L.SendingError,
        "07": L.NoNetworkAccessConfigurationError, "08": L.DataInputError, "09": L.ApiError,
        "10": L.NoHashError, "11": L.InvalidHashError, "12": L.InvalidMethodError,
        "13": L.UnauthorizedMethodError,
        # developers.ligdicash.com/en/errors/sub-codes (createInvoice): the wallet codes.
        "14": L.WrongWalletCredentialsError, "15": L.WrongOtpError, "16": L.ExpiredOtpError,
    },
    ("payin", "test"): {
        "00": L.AuthenticationError, "01": L.ApplicationAuthenticationError,
        "02": L.InvalidAmountError, "03": L.IpDeniedError, "04": L.ProcessingError,
        "14": L.WrongWalletCredentialsError, "15": L.WrongOtpError, "16": L.ExpiredOtpError,
    },
    ("client_payout", "live"): {
        "00": L.AuthenticationError, "01": L.MerchantPayoutDisabledError,
        "02": L.CustomerDoesNotExistError, "03": L.MerchantAccountDoesNotExistError,
        "03a": L.NoPendingOrProcessedPayout24HError, "03b": L.NoDeposit3MonthsError,
        "04": L.MerchantBalanceLowError, "05": L.AmountOutOfRangeError,
        "06": L.IpDeniedError, "07": L.TransactionAlreadyExistError, "08": L.ProcessingError,
        "09": L.DataInputError, "10": L.ApiError, "13": L.NoHashError, "14": L.InvalidHashError,
    },
    ("merchant_payout", "live"): {
        "00": L.AuthenticationError, "01": L.ApplicationAuthenticationError,
        "02": L.AmountOutOfRangeError, "03": L.MerchantAccountDoesNotExistError,
        "04": L.NoPendingOrProcessedPayout24HError, "05": L.RecipientOperatorNotIdentifiedError,
        "06": L.IpDeniedError, "07": L.MerchantAccountDoesNotExistError,
        "08": L.MerchantBalanceLowError, "09": L.ProcessingError, "10": L.ApiError,
        "11": L.NoHashError, "12": L.InvalidHashError,
        "13": L.UnauthorizedCurrencyConversionError, "14": L.IpDeniedError,
    },
    ("status", "live"): {
        "00": L.AuthenticationError, "01": L.MerchantPayinDisabledError,
        "02": L.InvoiceNotFoundError, "03": L.ProcessingError, "04": L.DataInputError,
    },
    ("status", "test"): {
        "00": L.AuthenticationError, "01": L.ApplicationAuthenticationError,
        "02": L.InvoiceNotFoundError, "03": L.ProcessingError,
    },
}  # fmt: skip

ROWS = [
    (family, platform, code, cls)
    for (family, platform), table in EXPECTED.items()
    for code, cls in table.items()
]


def test_the_code_tables_match_the_wire_contract() -> None:
    for key, table in EXPECTED.items():
        assert TABLES[key] == table, key


@pytest.mark.parametrize(("family", "platform", "code", "cls"), ROWS)
def test_each_refusal_code_raises_its_class_with_the_servers_words(
    fake: FakeLigdicash, family: str, platform: str, code: str, cls: type
) -> None:
    fake.push_json(refusal(code, "precise cause from the server"))
    with (
        ligdicash.Client(
            api_key=fake.api_key,
            auth_token=fake.auth_token,
            base_url=fake.base_url,
            platform=platform,
        ) as c,
        pytest.raises(ligdicash.RequestRefusedError) as info,
    ):
        CALLS[family](c)
    error = info.value
    assert type(error) is cls
    assert error.code == code
    assert error.response_text == f"Echec (Code{code})"
    assert error.response_text_details == "precise cause from the server"
    assert error.message.endswith("precise cause from the server")
    assert error.wiki == ["https://client.ligdicash.com/wiki/createInvoice"]
    assert error.http_status == 200
    assert error.operation is not None
    assert len(fake.requests) == 1  # a refusal is an answer: never retried


def test_the_same_code_means_different_things_per_family(fake: FakeLigdicash) -> None:
    with ligdicash.Client(api_key="k", auth_token="t", base_url=fake.base_url) as c:
        fake.api_key, fake.auth_token = "k", "t"
        try:
            outcomes = []
            for family in ("payin", "client_payout", "merchant_payout", "status"):
                fake.push_json(refusal("02"))
                with pytest.raises(ligdicash.RequestRefusedError) as info:
                    CALLS[family](c)
                outcomes.append(type(info.value))
        finally:
            fake.api_key, fake.auth_token = "test_api_key_5f3a", "test_auth_token_9c1e"
    assert outcomes == [
        L.InvalidAmountError,
        L.CustomerDoesNotExistError,
        L.AmountOutOfRangeError,
        L.InvoiceNotFoundError,
    ]


def test_amount_out_of_range_is_an_invalid_amount_error() -> None:
    assert issubclass(L.AmountOutOfRangeError, L.InvalidAmountError)


def test_an_unknown_code_keeps_code_text_and_details(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json(refusal("17", "a cause no table names yet"))
    invoice = make_invoice(client)
    with pytest.raises(ligdicash.UnknownRefusalError) as info:
        invoice.pay_without_redirection(otp="000000", customer="22670123456")
    assert info.value.code == "17"
    assert info.value.response_text == "Echec (Code17)"
    assert info.value.response_text_details == "a cause no table names yet"
    assert isinstance(info.value, ligdicash.LigdicashError)


def test_a_refusal_without_any_code_is_still_a_refusal(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    fake.push_json({"response_code": "01", "response_text": "Echec", "token": ""})
    with pytest.raises(ligdicash.UnknownRefusalError) as info:
        client.get_transaction("tok")
    assert info.value.code == "unknown"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Echec (Code02)", "02"),
        ("Echec (Code03a)", "03a"),
        ("Echec (code 15)", "15"),
        ("Echec(Code00)", "00"),
        ("Echec (Code3B)", "03b"),
        ("Echec", None),
        ("", None),
    ],
)
def test_refusal_codes_are_read_from_the_response_text(text: str, code: str | None) -> None:
    assert extract_refusal_code(text) == code


def test_wrong_credentials_give_authentication_error(fake: FakeLigdicash) -> None:
    with ligdicash.Client(api_key="wrong", auth_token="wrong", base_url=fake.base_url) as c:
        with pytest.raises(ligdicash.AuthenticationError) as info:
            c.get_transaction("tok")
    assert "wrong" not in str(info.value) + repr(info.value)
