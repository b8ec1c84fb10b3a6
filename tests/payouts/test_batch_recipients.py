"""Batch input (issue 20 item 4): a number is checked against the documented format
(country code first, of a country LigdiCash pays to, with its length) before anything is
sent, and one number on two rows, however written, is refused with both lines unless
``--allow-repeat-recipient``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli, sandbox_env

from ligdicash import InvalidRequestError
from ligdicash.payouts import BatchValidationError, load_batch


def payouts_in(sb: Any) -> list[str]:
    return [
        str((tx.get("custom_data") or {}).get("transaction_id"))
        for tx in sb.transactions()
        if tx.get("kind", "").endswith("payout")
    ]


@pytest.mark.parametrize(
    ("phone", "says"),
    [
        ("70123456", "does not start with the country code"),
        ("70 12 34 56", "does not start with the country code"),
        ("+33 6 12 34 56 78", "does not start with the country code"),
        ("2267012345", "not a Burkina Faso number: 8 digits after 226"),
        ("225071234567", "not a Côte d'Ivoire number: 10 digits after 225"),
    ],
)
def test_a_number_without_a_known_country_code_is_refused_at_load(phone: str, says: str) -> None:
    with pytest.raises(BatchValidationError, match="line 2: phone") as caught:
        load_batch(
            [
                {"reference": "A", "phone": "22670123456", "amount": 100},
                {"reference": "B", "phone": phone, "amount": 100},
            ]
        )
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "phone",
    [
        "22670123456",
        "+226 70-12-34-56",
        "0022670123456",
        "2290197123456",
        "22996123456",
        "2250712345678",
        "224621234567",
        "22376123456",
        "22790123456",
        "243891234567",
    ],
)
def test_the_documented_numbers_of_every_operator_country_pass(phone: str) -> None:
    batch = load_batch([{"reference": "A", "phone": phone, "amount": 100}])
    assert batch.items[0].phone.isdigit()


def test_a_number_without_country_code_fails_the_cli_before_sending(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    path = tmp_path / "b.csv"
    path.write_text("reference;phone;amount\nA;22670123456;100\nB;70123456;100\n")
    result = cli("payouts", "run", str(path), "--yes", env=sandbox_env(ligdicash_sandbox))
    assert result.returncode == 2, result.stderr
    assert "line 3: phone 70123456 does not start with the country code" in result.stderr
    assert payouts_in(ligdicash_sandbox) == []


def test_one_number_twice_is_refused_with_both_lines_unless_allowed(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text(
        "reference;phone;amount\nA;+226 70-12-34-56;100\nB;22670123457;200\nC;0022670123456;100\n"
    )
    refused = cli("payouts", "run", str(path), "--yes", env=env)
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    assert "line 2: recipient 22670123456 also on line 4" in refused.stderr
    assert "line 4: recipient 22670123456 also on line 2" in refused.stderr
    assert "--allow-repeat-recipient" in refused.stderr
    assert payouts_in(ligdicash_sandbox) == []

    allowed = cli(
        "payouts", "run", str(path), "--yes", "--allow-repeat-recipient", "--json", env=env
    )
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["counts"] == {"completed": 3}
    assert len(payouts_in(ligdicash_sandbox)) == 3
    status = cli("payouts", "status", str(path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"] == {"completed": 3}


def test_skip_invalid_leaves_every_row_of_a_repeated_number_out_and_status_finds_the_batch(
    tmp_path: Path, ligdicash_sandbox: Any
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    path = tmp_path / "b.csv"
    path.write_text(
        "reference;phone;amount\nA;22670123456;100\nB;22670123457;200\nC;+22670123456;100\n"
    )
    run = cli("payouts", "run", str(path), "--yes", "--skip-invalid", "--json", env=env)
    assert run.returncode == 4, run.stderr  # rows were skipped
    assert "recipient 22670123456 also on line 4" in run.stderr
    assert json.loads(run.stdout)["counts"] == {"completed": 1}
    status = cli("payouts", "status", str(path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"] == {"completed": 1}


def test_the_library_default_keeps_repeated_numbers() -> None:
    rows = [
        {"reference": "A", "phone": "22670123456", "amount": 100},
        {"reference": "B", "phone": "+226 70 12 34 56", "amount": 100},
    ]
    assert len(load_batch(rows)) == 2
    with pytest.raises(InvalidRequestError, match="line 1: recipient 22670123456 also on line 2"):
        load_batch(rows, allow_repeat_recipient=False)
