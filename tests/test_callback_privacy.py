"""A callback's customer number is masked wherever it is shown, however short or oddly typed."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

import ligdicash
from fake_ligdicash import API_KEY, AUTH_TOKEN, LONG_TOKEN, FakeLigdicash, status_body
from ligdicash.contrib import CallbackProcessor, ExpectedTransaction, MemoryIdempotencyStore
from provider_payloads import FORM, form_fields, payload

SHORT = "226123"  # a six-digit number: fully masked
ORDER = "ORD-20240512"


def parse(customer: Any) -> ligdicash.Callback:
    body = {
        "token": "cb-token",
        "status": "completed",
        "amount": 31500,
        "customer": customer,
        "custom_data": {"transaction_id": ORDER},
    }
    return ligdicash.parse_callback(json.dumps(body).encode(), "application/json")


@pytest.mark.parametrize(
    "customer", [SHORT, int(SHORT), float(SHORT), [SHORT], {"number": SHORT}, f" {SHORT} "]
)
def test_a_short_customer_never_shows_in_the_repr_or_the_redacted_payload(customer: Any) -> None:
    callback = parse(customer)
    assert SHORT not in repr(callback)
    assert SHORT not in repr(callback.redacted())


def test_a_short_customer_is_masked_to_stars() -> None:
    callback = parse(SHORT)
    assert "customer='******'" in repr(callback)
    assert callback.redacted()["customer"] == "******"


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_processor_logs_a_short_customer_masked(
    fake: FakeLigdicash, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    fake.push_json(status_body(LONG_TOKEN, customer=SHORT))
    expected = ExpectedTransaction(token=LONG_TOKEN, amount=31500, transaction_id=ORDER)
    if encoding == "json":
        body, content_type = (
            json.dumps(
                {
                    "token": "cb",
                    "status": "completed",
                    "amount": 31500,
                    "customer": SHORT,
                    "custom_data": {"transaction_id": ORDER},
                }
            ).encode(),
            "application/json",
        )
    else:
        body = (
            f"token=cb&status=completed&amount=31500&customer={SHORT}"
            f"&custom_data[transaction_id]={ORDER}"
        ).encode()
        content_type = "application/x-www-form-urlencoded"
    delivered: list[ligdicash.Transaction] = []
    with ligdicash.Client(api_key=API_KEY, auth_token=AUTH_TOKEN, base_url=fake.base_url) as c:
        processor = CallbackProcessor(
            lookup=lambda callback: expected,
            handler=delivered.append,
            client=c,
            store=MemoryIdempotencyStore(),
        )
        with caplog.at_level(logging.DEBUG, logger="ligdicash"):
            assert processor.process(body, content_type).outcome == "processed"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "callback received" in logged
    assert "callback processed" in logged
    assert SHORT not in logged
    assert "******" in logged
    assert [t.customer for t in delivered] == [SHORT]  # the handler gets the real number


def test_the_documented_customer_details_are_masked_in_the_redacted_payload() -> None:
    # The payin payload page's customer_details: phone, e-mail and names of the customer.
    secrets_of_customer = ("22676275726", "firstname.lastname", "LASTNAME", "Firstname")
    body = json.dumps(payload("payin_callback")).encode()
    form = urlencode(form_fields("payin_callback_form")).encode()
    for raw, content_type in ((body, "application/json"), (form, FORM)):
        callback = ligdicash.parse_callback(raw, content_type)
        shown = json.dumps(callback.redacted(), ensure_ascii=False)
        assert "customer_details" in shown
        for secret in secrets_of_customer:
            assert secret not in shown, (content_type, secret)
        details = callback.redacted()["customer_details"]
        assert details["phone"] == "226*****726"
        assert details["email"] == "f***@example.com"
        assert details["firstname"] == "F***"
