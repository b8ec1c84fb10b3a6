"""Bad input is refused with a clear LigdicashError subclass before any request leaves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import pytest

import ligdicash
from fake_ligdicash import FakeLigdicash
from sdk_helpers import make_invoice


def refused_before_sending(
    fake: FakeLigdicash, call: Callable[[], Any], error: type[Exception]
) -> Exception:
    with pytest.raises(error) as info:
        call()
    assert fake.requests == [], "a request reached the server"
    return info.value


@pytest.mark.parametrize("price", [1500.5, Decimal("0.5"), "1500", None, True, float("nan")])
def test_unit_prices_must_be_whole_francs(
    client: ligdicash.Client, fake: FakeLigdicash, price: Any
) -> None:
    invoice = client.Invoice(description="x")
    refused_before_sending(
        fake, lambda: invoice.add_item("a", "b", 1, price), ligdicash.InvalidAmountError
    )


@pytest.mark.parametrize("price", [1500, 1500.0, Decimal("1500"), Decimal("1500.00"), 0])
def test_integral_floats_and_decimals_are_sent_as_ints(
    client: ligdicash.Client, fake: FakeLigdicash, price: Any
) -> None:
    invoice = client.Invoice(description="x")
    invoice.add_item("a", "b", 1, price)
    invoice.add_item("fee", "", 1, 100)
    invoice.pay_with_redirection()
    item = fake.requests[0].json["commande"]["invoice"]["items"][0]
    assert item["unit_price"] == int(price)
    assert type(item["unit_price"]) is int


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True])
def test_quantity_must_be_a_whole_number_of_at_least_one(
    client: ligdicash.Client, fake: FakeLigdicash, quantity: Any
) -> None:
    invoice = client.Invoice()
    error = refused_before_sending(
        fake, lambda: invoice.add_item("a", "b", quantity, 100), ligdicash.InvalidRequestError
    )
    assert "quantity" in str(error)


@pytest.mark.parametrize(("unit_price", "quantity"), [(8, 1), (2_000_001, 1), (1_000_001, 2)])
def test_invoice_totals_outside_the_range_are_refused(
    client: ligdicash.Client, fake: FakeLigdicash, unit_price: int, quantity: int
) -> None:
    invoice = client.Invoice()
    invoice.add_item("a", "b", quantity, unit_price)
    refused_before_sending(fake, invoice.pay_with_redirection, ligdicash.InvalidAmountError)
    refused_before_sending(
        fake,
        lambda: invoice.pay_without_redirection(otp="1", customer="22670123456"),
        ligdicash.InvalidAmountError,
    )


@pytest.mark.parametrize("total", [9, 2_000_000, 1_000_001, 1_500_000])
def test_range_bounds_are_accepted(
    client: ligdicash.Client, fake: FakeLigdicash, total: int
) -> None:
    invoice = client.Invoice()
    invoice.add_item("a", "b", 1, total)
    invoice.pay_with_redirection()
    assert fake.requests[0].json["commande"]["invoice"]["total_amount"] == total


def test_a_payin_with_no_items_is_refused(client: ligdicash.Client, fake: FakeLigdicash) -> None:
    invoice = client.Invoice(description="empty")
    error = refused_before_sending(
        fake, invoice.pay_with_redirection, ligdicash.InvalidRequestError
    )
    assert "no items" in str(error)


@pytest.mark.parametrize("total", [9, 5000, 2_000_000])
def test_an_invoice_without_lines_sends_the_documented_empty_items_and_its_total(
    client: ligdicash.Client, fake: FakeLigdicash, total: int
) -> None:
    invoice = client.Invoice(description="Top-up", total_amount=total)
    invoice.pay_with_redirection(callback_url="https://shop.example/cb")
    sent = fake.requests[0].json["commande"]["invoice"]
    assert (sent["items"], sent["total_amount"]) == ([], total)


def test_total_amount_with_items_must_equal_their_sum(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    invoice = client.Invoice(total_amount=5000)
    invoice.add_item("a", "", 2, 2000)
    error = refused_before_sending(
        fake, invoice.pay_with_redirection, ligdicash.InvalidRequestError
    )
    assert "differs from the items' sum 4000" in str(error)
    invoice.add_item("b", "", 1, 1000)
    invoice.pay_with_redirection()
    assert fake.requests[0].json["commande"]["invoice"]["total_amount"] == 5000


@pytest.mark.parametrize("total", [8, 2_000_001, 10.5, "5000"])
def test_a_total_amount_out_of_range_is_refused(
    client: ligdicash.Client, fake: FakeLigdicash, total: Any
) -> None:
    refused_before_sending(
        fake,
        lambda: client.Invoice(total_amount=total).pay_with_redirection(),
        ligdicash.InvalidAmountError,
    )


@pytest.mark.parametrize("amount", [9, 1_000_001, 2_000_000])
def test_payout_amounts_the_provider_documents_reach_it(
    client: ligdicash.Client, fake: FakeLigdicash, amount: int
) -> None:
    client.Withdrawal("r", amount, "22670123456").send(type="merchant")
    assert fake.requests[0].json["commande"]["amount"] == amount


@pytest.mark.parametrize("amount", [None, 8, 2_000_001, 100.5, "5000"])
def test_payout_amounts_are_checked(
    client: ligdicash.Client, fake: FakeLigdicash, amount: Any
) -> None:
    refused_before_sending(
        fake, lambda: client.Withdrawal("r", amount, "22670123456"), ligdicash.InvalidAmountError
    )


def test_a_payout_amount_changed_after_construction_is_checked_again(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    withdrawal = client.Withdrawal("r", 5000, "22670123456")
    withdrawal.amount = 2_000_001
    refused_before_sending(fake, withdrawal.send, ligdicash.InvalidAmountError)


@pytest.mark.parametrize("token", ["", "   ", None, 42])
def test_empty_or_blank_tokens_are_refused(
    client: ligdicash.Client, fake: FakeLigdicash, token: Any
) -> None:
    refused_before_sending(fake, lambda: client.get_transaction(token), ligdicash.InvalidTokenError)
    refused_before_sending(
        fake, lambda: ligdicash.get_transaction(token), ligdicash.InvalidTokenError
    )


def test_unknown_transaction_and_payout_types_are_refused(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    error = refused_before_sending(
        fake,
        lambda: client.get_transaction("tok", "refund"),  # type: ignore[arg-type]
        ligdicash.InvalidRequestError,
    )
    assert "payin" in str(error)
    withdrawal = client.Withdrawal("r", 5000, "22670123456")
    refused_before_sending(
        fake, lambda: withdrawal.send(type="bank"), ligdicash.InvalidRequestError
    )
    refused_before_sending(
        fake,
        lambda: withdrawal.send(type="merchant", to_wallet=True),
        ligdicash.InvalidRequestError,
    )


@pytest.mark.parametrize(
    "number",
    ["+226 70 12 34 56", "0022670123456", "22670123456", "+226-70-12-34-56", " 226.70.12.34.56 "],
)
def test_phone_numbers_are_sent_as_digits_only(
    client: ligdicash.Client, fake: FakeLigdicash, number: str
) -> None:
    make_invoice(client).pay_without_redirection(otp="123456", customer=number)
    client.Withdrawal("r", 5000, number).send()
    assert fake.requests[0].json["commande"]["invoice"]["customer"] == "22670123456"
    assert fake.requests[1].json["commande"]["customer"] == "22670123456"


@pytest.mark.parametrize(
    "number",
    ["2267O123456", "phone", "226 70 12 34 5x", "++22670123456", "1234", "", "22670123456#"],
)
def test_phone_numbers_with_letters_or_symbols_are_refused(
    client: ligdicash.Client, fake: FakeLigdicash, number: str
) -> None:
    invoice = make_invoice(client)
    refused_before_sending(
        fake,
        lambda: invoice.pay_without_redirection(otp="1", customer=number),
        ligdicash.InvalidRequestError,
    )
    refused_before_sending(
        fake, lambda: client.Withdrawal("r", 5000, number), ligdicash.InvalidRequestError
    )


def test_hosted_payin_customer_may_stay_empty(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    make_invoice(client).pay_with_redirection()
    assert fake.requests[0].json["commande"]["invoice"]["customer"] == ""


@pytest.mark.parametrize("custom_data", [{"when": object()}, {"x": float("nan")}, ["a"]])
def test_custom_data_must_be_a_json_serialisable_dict(
    client: ligdicash.Client, fake: FakeLigdicash, custom_data: Any
) -> None:
    invoice = make_invoice(client)
    refused_before_sending(
        fake,
        lambda: invoice.pay_with_redirection(custom_data=custom_data),
        ligdicash.InvalidRequestError,
    )


def test_every_body_key_is_sent_even_when_unset(
    client: ligdicash.Client, fake: FakeLigdicash
) -> None:
    invoice = client.Invoice()
    invoice.add_item("a", "", 1, 100)
    invoice.pay_with_redirection()
    command = fake.requests[0].json["commande"]
    assert set(command) == {"invoice", "store", "actions", "custom_data"}
    assert set(command["invoice"]) == {
        "items", "total_amount", "devise", "description", "customer", "customer_firstname",
        "customer_lastname", "customer_email", "external_id", "otp",
    }  # fmt: skip
    assert command["store"] == {"name": "", "website_url": ""}
    assert command["actions"] == {"cancel_url": "", "return_url": "", "callback_url": ""}
    assert command["custom_data"] == {}


def test_validation_errors_are_value_errors_and_ligdicash_errors() -> None:
    assert issubclass(ligdicash.InvalidRequestError, ValueError)
    with pytest.raises(ligdicash.LigdicashError):
        ligdicash.InvoiceItem("a", "b", 0, 100)


def test_missing_credentials_are_a_configuration_error_before_sending(fake: FakeLigdicash) -> None:
    ligdicash.base_url = fake.base_url
    refused_before_sending(
        fake, lambda: ligdicash.get_transaction("tok"), ligdicash.ConfigurationError
    )


def test_direct_payin_and_payouts_are_not_testable_on_the_providers_test_host(
    fake: FakeLigdicash,
) -> None:
    with ligdicash.Client(api_key="k", auth_token="t", platform="test") as c:
        assert c.base_url == "https://test.ligdicash.com/pay/v01/"
        invoice = make_invoice(c)
        for call in (
            lambda: invoice.pay_without_redirection(otp="1", customer="22670123456"),
            lambda: c.Withdrawal("r", 5000, "22670123456").send(type="client"),
            lambda: c.Withdrawal("r", 5000, "22670123456").send(type="merchant"),
        ):
            with pytest.raises(ligdicash.FeatureNotTestableError):
                call()


def test_test_platform_against_a_base_url_override_runs_every_flow(fake: FakeLigdicash) -> None:
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, platform="test", base_url=fake.base_url
    ) as c:
        make_invoice(c).pay_without_redirection(otp="1", customer="22670123456")
        c.Withdrawal("r", 5000, "22670123456").send(type="merchant")
    assert len(fake.requests) == 2
