"""The payload shapes developers.ligdicash.com documents (the sandbox's default wire).

Sources, quoted in ``tests/fixtures/provider/``:

- payin callback: https://developers.ligdicash.com/en/payment-api/callback/payin-payload
  (``token: ""``; ``amount``/``montant`` integers; ``date`` with its zone; ``request_id``
  like ``P2777636082026``; ``custom_data`` records to which LigdiCash adds ``hash`` and
  ``logfile``; ``external_id`` = the values of the custom_data keys containing "id");
- payout callback: .../callback/payout-payload (a JWT ``token``; ``amount``/``montant``
  strings; root ``transaction_id`` = ``external_id`` = the merchant's id; ``custom_data:
  []``; ``url``, ``url_method``);
- form copy: .../callback/framework-examples (``custom_data`` as a stringified JSON);
- status answers: .../reference/endpoints/payin-redirect-confirm (``token`` "Empty in the
  confirm response") and .../reference/endpoints/withdrawal-confirm (no amount, customer or
  date; ``custom_data`` "Always []").
"""

from __future__ import annotations

import json
from typing import Any

from . import _codes, _operators
from ._record import Transaction

WIRE_STATUS = {"nocompleted": "notcompleted"}
PAYIN_WIKI = _codes.WIKI["status"]
PAYOUT_WIKI = _codes.WIKI["merchant_payout"]


def wire_status(record: Transaction) -> str:
    """The status word as the documented pages spell it (``notcompleted``)."""
    return WIRE_STATUS.get(record.status, record.status)


def operator_fields(record: Transaction) -> dict[str, str]:
    """``operator_id`` and ``operator_name`` as the documented pages spell them."""
    operator = (record.operator_id, record.operator_name)
    if operator == (_operators.WALLET.id, _operators.WALLET.name):
        operator = _operators.DOCUMENTED_WALLET
    return {"operator_id": operator[0], "operator_name": operator[1]}


def zoned(moment: str) -> str:
    """``2026-05-09 07:20:23`` (UTC) as the pages write it: ``2026-05-09 07:20:23+00``."""
    return f"{moment}+00" if moment else ""


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def logfile(record: Transaction) -> str:
    """A log reference shaped like the documented one (``2026050907202369fee03756652``)."""
    digits = "".join(c for c in record.created_at if c.isdigit())
    return f"{digits}{record.id:013x}"


def custom_data_records(record: Transaction, digest: str) -> list[dict[str, str]]:
    """The merchant's custom_data as records, plus the ``hash`` and ``logfile`` LigdiCash adds."""
    moment = record.created_at + ".000000"
    entries = [(str(k), _plain(v)) for k, v in record.custom_data.items()]
    entries += [("hash", digest), ("logfile", logfile(record))]
    return [
        {"keyof_customdata": key, "valueof_customdata": value, "datecreation_customdata": moment}
        for key, value in entries
    ]


def external_id(record: Transaction) -> str:
    """The values of the custom_data keys containing "id", concatenated (documented)."""
    return "".join(_plain(v) for k, v in record.custom_data.items() if "id" in str(k))


def merchant_id(record: Transaction) -> str:
    """A payout's root ``transaction_id``: the merchant's own id ("equal to the
    external_id you provided at creation")."""
    return record.order_id


def _payin_fields(record: Transaction, digest: str) -> dict[str, Any]:
    return {
        "date": zoned(record.settled_at or record.created_at),
        "wiki": PAYIN_WIKI,
        "token": "",
        "amount": record.amount,
        "status": wire_status(record),
        "montant": record.amount,
        "customer": record.customer,
        "oreference": record.transaction_id,
        "request_id": record.request_id,
        "custom_data": custom_data_records(record, digest),
        "description": record.description,
        "external_id": external_id(record),
        **operator_fields(record),
        "response_code": "00",
        "response_text": "",
    }


def status_answer(record: Transaction, digest: str) -> dict[str, Any]:
    """The documented answer of a status call for a known token."""
    if record.kind != "payin":
        return {
            "response_code": "00",
            "token": record.token,
            "response_text": "",
            "description": record.description,
            "custom_data": [],
            "status": wire_status(record),
            **operator_fields(record),
            "wiki": PAYOUT_WIKI,
        }
    return _payin_fields(record, digest)


def callback_fields(
    record: Transaction, callback_token: str, digest: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The documented JSON body and form body (not yet encoded) of a settlement callback;
    the form copy carries ``custom_data`` as stringified JSON."""
    if record.kind == "payin":
        json_body = _payin_fields(record, digest)
    else:
        json_body = {
            "response_code": "00",
            "token": callback_token,
            "response_text": "",
            "status": wire_status(record),
            "custom_data": [],
            **operator_fields(record),
            "url": record.callback_url,
            "url_method": "",
            "transaction_id": merchant_id(record),
            "external_id": merchant_id(record),
            "montant": str(record.amount),
            "amount": str(record.amount),
        }
    form_body = {**json_body, "custom_data": json.dumps(json_body["custom_data"])}
    return json_body, form_body
