"""Amounts in a batch file: XOF has no minor unit, so a thousands separator must never be
read as a decimal point (``50.000`` was read as 50 XOF): every ambiguous form is refused
with its line and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from ligdicash.payouts import BatchValidationError, load_batch

HEADER = "reference;phone;amount\n"


def refused(path: Path) -> str:
    with pytest.raises(BatchValidationError) as caught:
        load_batch(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("50.000", "write 50000"),
        ("50,000", "write 50000"),
        ("100,000", "write 100000"),
        ("25.000", "write 25000"),
        ("1.500.000", "write 1500000"),
        ("1,500,000", "write 1500000"),
        ("5.000,00", "digits only"),
        ("1,500.00", "digits only"),
        ("1500,5", "XOF has no cents"),
        ("1500.50", "XOF has no cents"),
        ("50.0", "XOF has no cents"),
    ],
)
def test_a_separator_that_could_group_thousands_is_refused_with_its_line_and_the_fix(
    tmp_path: Path, written: str, advice: str
) -> None:
    path = tmp_path / "b.csv"
    # The amount is quoted so that ',' stays in one cell of the ';' file.
    rows = ["A1;22670123456;5000", "A2;22670123456;6000", "A3;22670123456;7000"]
    path.write_text(HEADER + "\n".join(rows) + f'\nA4;22670123456;"{written}"\n', encoding="utf-8")
    message = refused(path)
    assert f"line 5: amount '{written}'" in message
    assert advice in message


def test_the_spreadsheet_forms_that_cannot_be_misread_are_whole_francs(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text(
        HEADER + "A;22670123456;5000,00\nB;22670123456;5\u202f000\nC;22670123456;6 000\n"
        "D;22670123456;7000.00\n",
        encoding="utf-8",
    )
    assert [item.amount for item in load_batch(path).items] == [5000, 5000, 6000, 7000]


def test_a_json_number_with_a_fraction_is_read_as_written_not_as_a_float(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(
        '[{"reference": "A", "phone": "22670123456", "amount": 50.000},'
        ' {"reference": "B", "phone": "22670123456", "amount": 1500.5},'
        ' {"reference": "C", "phone": "22670123456", "amount": 5000}]',
        encoding="utf-8",
    )
    message = refused(path)
    assert "line 1: amount '50.000' is ambiguous: write 50000" in message
    assert "line 2: amount '1500.5' has decimals" in message
    assert "line 3" not in message


@pytest.mark.parametrize("written", ["\u00b2500", "\u0661\u0662\u0663", "1e3", "0x1F4", "5" * 5000])
def test_digits_other_than_0_to_9_or_too_many_are_one_problem_not_a_crash(
    tmp_path: Path, written: str
) -> None:
    path = tmp_path / "b.csv"
    path.write_text(HEADER + f"A;22670123456;{written}\n", encoding="utf-8")
    message = refused(path)
    assert "line 2: amount" in message
    assert len(message) < 300  # a 5,000-digit amount is not echoed whole
