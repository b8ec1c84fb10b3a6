"""The request record is a deep copy of the body, redacted: neither side can change the other."""

from __future__ import annotations

from typing import Any

from ligdicash._records import redact_body


def _body() -> dict[str, Any]:
    return {
        "commande": {
            "invoice": {"otp": "123456", "customer": "22670123456", "items": [{"n": 1}]},
            "custom_data": {"transaction_id": "ORD-1", "tags": ["a", ("b", {"c": [1]})]},
        }
    }


def test_the_record_is_redacted_and_shares_no_container_with_the_body() -> None:
    body = _body()
    record = redact_body(body)
    assert record is not None
    invoice = record["commande"]["invoice"]
    assert invoice["otp"] == "[redacted]"
    assert invoice["customer"] != "22670123456"
    # the body that is sent keeps its secrets
    assert body["commande"]["invoice"]["otp"] == "123456"
    # every container copied: changing the body afterwards leaves the record as sent
    body["commande"]["custom_data"]["tags"][0] = "changed"
    body["commande"]["custom_data"]["tags"][1][1]["c"].append(2)
    body["commande"]["invoice"]["items"][0]["n"] = 99
    assert record["commande"]["custom_data"]["tags"][0] == "a"
    assert record["commande"]["custom_data"]["tags"][1][1]["c"] == [1]
    assert record["commande"]["invoice"]["items"][0]["n"] == 1
    assert record == {
        **_body(),
        "commande": {**_body()["commande"], "invoice": invoice},
    }


def test_no_body_no_record() -> None:
    assert redact_body(None) is None
