"""The sandbox's operators: the provider's ids, names, minimums and validation modes, per
country, and the redirect mode where the answer's ``response_text`` is where to send the
customer (usable from the SDK as ``PaymentResponse.redirect_url``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from sandbox_helpers import confirm, create, direct_body, payin_body

import ligdicash
from ligdicash.sandbox import CallbackReceiver, Sandbox
from ligdicash.sandbox import _operators as ops

HOSTED = "redirect/checkout-invoice/create"
DIRECT = "straight/checkout-invoice/create"

# Quoted from https://developers.ligdicash.com/en/reference/supported-operators (master table).
DOCUMENTED = {
    ("Benin", "1", "MTN BENIN", 100),
    ("Benin", "2", "MOOV BENIN", 100),
    ("Burkina Faso", "11", "ORANGE BURKINA", 10),
    ("Burkina Faso", "12", "MOOV AFRICA BURKINA", 100),
    ("Côte d'Ivoire", "16", "ORANGE CI", 10),
    ("Côte d'Ivoire", "14", "MOOV CI", 100),
    ("Côte d'Ivoire", "15", "MTN CI", 10),
    ("Guinea", "33", "ORANGE GUINEE", 200),
    ("Guinea", "51", "MTN GUINEE", 200),
    ("Mali", "18", "ORANGE MALI", 100),
    ("Niger", "27", "AIRTEL NIGER", 10),
    ("Niger", "28", "ORANGE/ZAMANI NIGER", 10),
    ("Niger", "29", "MOOV AFRICA NIGER", 9),
    ("DR Congo", "34", "ORANGE RDC", 9),
}


def number(operator: ops.Operator, last: str = "1") -> str:
    """A test number of ``operator``: its prefix, padded to its length."""
    return operator.prefix + last.rjust(operator.length - len(operator.prefix), "0")


def direct(customer: str, amount: int) -> dict[str, object]:
    body = direct_body(customer, "")
    body["commande"]["invoice"]["total_amount"] = amount
    return body


@pytest.fixture
def client(sb: Sandbox) -> Iterator[ligdicash.Client]:
    with ligdicash.Client(api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url) as c:
        yield c


def test_the_operators_are_the_documented_ones() -> None:
    assert {(op.country, op.id, op.name, op.minimum) for op in ops.OPERATORS} == DOCUMENTED
    countries = {op.country for op in ops.OPERATORS}
    assert {"Burkina Faso", "Côte d'Ivoire", "Mali", "Niger", "DR Congo"} <= countries
    # Every test number belongs to exactly one operator.
    for op in ops.OPERATORS:
        assert ops.operator_for(number(op)) is op


@pytest.mark.parametrize(
    "operator", [op for op in ops.OPERATORS if op.mode == "approval"], ids=lambda op: op.id
)
def test_a_direct_payin_settles_with_the_operators_documented_id_and_name(
    sb: Sandbox, api: httpx.Client, operator: ops.Operator
) -> None:
    answer = create(api, DIRECT, direct_body(number(operator), ""))
    assert answer["response_code"] == "00", answer
    sb.wait_for_status(answer["token"], "completed")
    status = confirm(api, "payin", answer["token"])
    assert (status["operator_id"], status["operator_name"]) == (operator.id, operator.name)


@pytest.mark.parametrize("operator", [ops.MOOV, ops.MOOV_CI, ops.ORANGE_GUINEA, ops.ORANGE_MALI])
def test_a_direct_payin_under_the_operators_minimum_is_refused_with_the_amount_code(
    api: httpx.Client, operator: ops.Operator
) -> None:
    below = create(api, DIRECT, direct(number(operator), operator.minimum - 1))
    assert below["response_text"] == "Echec (Code02)"
    assert below["response_text_details"] == (
        f"Wrong amount (must be between {operator.minimum:,} and 2,000,000)"
    )
    at = create(api, DIRECT, direct(number(operator), operator.minimum))
    assert at["response_code"] == "00"


def test_the_overall_range_still_holds_for_a_hosted_payin(api: httpx.Client) -> None:
    # The operator is not known when a hosted payin is created: only [9; 2,000,000] applies.
    assert create(api, HOSTED, payin_body(total_amount=9))["response_code"] == "00"
    refused = create(api, HOSTED, payin_body(total_amount=8))
    assert refused["response_text_details"] == "Wrong amount (must be between 9 and 2,000,000)"


def test_the_sdk_sends_an_amount_over_a_million_and_an_operator_minimum_is_refused_by_the_server(
    client: ligdicash.Client,
) -> None:
    big = client.Invoice(description="Car", total_amount=1_500_000)
    assert big.pay_with_redirection(callback_url="https://shop.example/cb").response_code == "00"
    small = client.Invoice(description="Sweet", total_amount=50)  # Moov BF's minimum is 100
    with pytest.raises(ligdicash.InvalidAmountError) as info:
        small.pay_without_redirection(
            otp="", customer=number(ops.MOOV), callback_url="https://shop.example/cb"
        )
    assert info.value.code == "02"


@pytest.mark.parametrize("operator", [ops.ORANGE_CI, ops.ORANGE_MALI, ops.MTN_GUINEA])
def test_a_redirect_mode_operator_answers_a_url_the_customer_pays_on(
    sb: Sandbox, client: ligdicash.Client, operator: ops.Operator
) -> None:
    invoice = client.Invoice(description="Order #7", total_amount=5000)
    response = invoice.pay_without_redirection(
        otp="", customer=number(operator), callback_url="https://shop.example/cb"
    )
    url = response.redirect_url
    assert url is not None
    assert url == response.response_text
    assert client.get_transaction(response.token).is_pending  # nothing settles by itself

    with httpx.Client(trust_env=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        # The page offers the customer's own operator only.
        assert re.findall(r'name=operator value="(\w+)"', page.text) == [operator.id]
        paid = browser.post(url, data={"action": "pay", "operator": operator.id})
    assert paid.status_code == 200  # no return_url on a direct payin: the final state
    transaction = client.get_transaction(response.token)
    assert transaction.is_completed
    assert (transaction.operator_id, transaction.operator_name) == (operator.id, operator.name)


def test_an_otp_or_push_operator_answer_has_no_redirect_url(client: ligdicash.Client) -> None:
    invoice = client.Invoice(description="x", total_amount=500)
    for customer, otp in ((number(ops.ORANGE), "123456"), (number(ops.AIRTEL_NIGER), "")):
        response = invoice.pay_without_redirection(
            otp=otp, customer=customer, callback_url="https://shop.example/cb"
        )
        assert response.redirect_url is None
        assert response.response_text  # a message for the customer, not a URL
    hosted = invoice.pay_with_redirection(callback_url="https://shop.example/cb")
    assert hosted.redirect_url == hosted.response_text


def test_the_callbacks_carry_the_operators_id_and_name(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    operator = ops.ZAMANI_NIGER
    body = direct_body(number(operator), "", callback_url=receiver.callback_url)
    token = create(api, DIRECT, body)["token"]
    for call in receiver.wait_for(2):
        fields = json.loads(call.body) if call.content_type == "application/json" else call.fields
        assert (fields["operator_id"], fields["operator_name"]) == (operator.id, operator.name)
    assert sb.transaction(token)["operator_name"] == "ORANGE/ZAMANI NIGER"


def test_a_redirect_page_takes_no_other_operator(client: ligdicash.Client) -> None:
    invoice = client.Invoice(description="x", total_amount=500)
    response = invoice.pay_without_redirection(
        otp="", customer=number(ops.ORANGE_CI), callback_url="https://shop.example/cb"
    )
    url = response.redirect_url
    assert url is not None
    with httpx.Client(trust_env=False) as browser:
        other = browser.post(url, data={"action": "pay", "operator": ops.ORANGE.id})
    assert other.status_code == 400
    assert client.get_transaction(response.token).is_pending
