"""The JSON shapes the sandbox answers: create answers, status answers, callback bodies.

Amounts follow one deterministic rule per transaction, to exercise lenient parsing the way
the real API does: ``montant`` is always a string with two decimals (``"31500.00"``) and
``amount`` depends on the invoice number (``id_invoice % 3``): 0 -> int ``31500``,
1 -> string ``"31500"``, 2 -> float ``31500.0``.
"""

from __future__ import annotations

import json
from typing import Any

from . import _codes
from ._record import Transaction

STATUS_TEXT = {
    "pending": "Transaction en attente de confirmation",
    "completed": "Transaction effectuee avec succes",
    "nocompleted": "Transaction echouee ou annulee",
}

CREATE_TEXT = {
    "direct": "Paiement en cours de traitement, confirmez sur votre telephone",
    "wallet": "Votre requête est en cours de traitement",
    "client_payout": "Votre demande de retrait est en cours de traitement",
    "merchant_payout": "Votre demande de transfert est en cours de traitement",
}

WIKI_BY_KIND = {
    "payin": _codes.WIKI["payin"],
    "client_payout": _codes.WIKI["client_payout"],
    "merchant_payout": _codes.WIKI["merchant_payout"],
}


def amount_value(record: Transaction) -> Any:
    """``amount`` as this transaction reports it (int, string or float; see module doc)."""
    amount = record.amount
    variant = record.id % 3
    if variant == 1:
        return str(amount)
    if variant == 2:
        return float(amount)
    return amount


def montant_value(record: Transaction) -> str:
    """``montant``: always a string with two decimals."""
    return f"{record.amount}.00"


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def custom_data_records(record: Transaction) -> list[dict[str, str]]:
    """``custom_data`` in the list-of-records form the API echoes."""
    return [
        {
            "id_invoice": str(record.id),
            "keyof_customdata": str(key),
            "valueof_customdata": _plain(value),
            "datecreation_customdata": record.created_at,
        }
        for key, value in record.custom_data.items()
    ]


def create_answer(record: Transaction, response_text: str) -> dict[str, Any]:
    """The success answer of a create call."""
    return {
        "response_code": "00",
        "token": record.token,
        "response_text": response_text,
        "description": record.description,
        "custom_data": custom_data_records(record),
        "wiki": WIKI_BY_KIND[record.kind],
    }


def _common(record: Transaction) -> dict[str, Any]:
    status = record.status
    return {
        "status": status,
        "response_code": "00",
        "response_text": STATUS_TEXT.get(status, status),
        "amount": amount_value(record),
        "montant": montant_value(record),
        "operator_id": record.operator_id,
        "operator_name": record.operator_name,
        "customer": record.customer,
        "external_id": record.external_id,
        "transaction_id": record.transaction_id,
        "request_id": record.request_id,
        "date": record.settled_at or record.created_at,
    }


def status_answer(record: Transaction) -> dict[str, Any]:
    """The answer of a confirm (status) call for a known token."""
    return {
        "token": record.token,
        **_common(record),
        "description": record.description,
        "custom_data": custom_data_records(record),
        "wiki": _codes.WIKI["status"],
    }


def callback_fields(
    record: Transaction, callback_token: str, hash_hex: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON body and the (not yet flattened) form body of a settlement callback.

    The JSON one carries ``custom_data`` as list-of-records, the form one as an object
    (flattened on the wire as ``custom_data[key]=value``).
    """
    base = {"token": callback_token, **_common(record)}
    json_body = {**base, "custom_data": custom_data_records(record), "hash": hash_hex}
    form_body = {**base, "custom_data": record.custom_data, "hash": hash_hex}
    return json_body, form_body
