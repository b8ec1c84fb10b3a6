"""Loading a batch: formats, encodings, separators, and every validation rule with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ligdicash.payouts import BatchValidationError, load_batch

HEADER = "reference,phone,amount,type,description\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(exc: pytest.ExceptionInfo[BatchValidationError]) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in exc.value.problems]


def test_a_comma_csv_loads_normalised_items(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", HEADER + "A1,+226 70 12 34 56,5000,client,Salaire\n")
    batch = load_batch(path)
    (item,) = batch.items
    assert (item.reference, item.phone, item.amount, item.type, item.description) == (
        "A1",
        "22670123456",
        5000,
        "client",
        "Salaire",
    )
    assert batch.total == 5000
    assert item.line == 2


def test_excel_french_semicolons_with_a_bom_give_the_same_batch_as_commas(tmp_path: Path) -> None:
    comma = write(tmp_path, "a.csv", HEADER + "A1,22670123456,5000,merchant,Prime été\n")
    excel = write(
        tmp_path,
        "b.csv",
        "\ufeffreference;phone;amount;type;description\r\n"
        "A1;22670123456;5000,00;merchant;Prime été\r\n",
    )
    assert load_batch(comma).id == load_batch(excel).id


def test_the_batch_id_changes_when_an_amount_changes(tmp_path: Path) -> None:
    one = write(tmp_path, "a.csv", HEADER + "A1,22670123456,5000,,\n")
    two = write(tmp_path, "b.csv", HEADER + "A1,22670123456,5001,,\n")
    assert load_batch(one).id != load_batch(two).id


def test_json_and_objects_give_the_same_batch_as_csv(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "a.csv", "reference,phone,amount\nA1,22670123456,5000\n")
    json_path = write(
        tmp_path, "a.json", '[{"reference": "A1", "phone": "22670123456", "amount": 5000}]'
    )
    objects = [{"reference": "A1", "phone": "22670123456", "amount": 5000}]
    assert load_batch(csv_path).id == load_batch(json_path).id == load_batch(objects).id


def test_the_default_type_is_merchant() -> None:
    batch = load_batch([{"reference": "A", "phone": "22670123456", "amount": 100}])
    assert batch.items[0].type == "merchant"


def test_bad_rows_are_all_reported_with_their_file_line_numbers(tmp_path: Path) -> None:
    text = (
        HEADER
        + "A1,22670123456,5000,,\n"
        + "A2,not-a-phone,5000,,\n"
        + "\n"  # blank lines are skipped but still counted
        + "A3,22670123456,8,,\n"
        + "A4,22670123456,1500.5,,\n"
        + "A5,22670123456,5000,bank,\n"
    )
    with pytest.raises(BatchValidationError) as exc:
        load_batch(write(tmp_path, "b.csv", text))
    assert [line for line, _ in problems(exc)] == [3, 5, 6, 7]
    assert "line 3: phone" in str(exc.value)


def test_a_quoted_cell_with_a_newline_keeps_later_line_numbers_true(tmp_path: Path) -> None:
    text = HEADER + 'A1,22670123456,5000,,"two\nlines"\n' + "A2,22670123456,1,,\n"
    with pytest.raises(BatchValidationError) as exc:
        load_batch(write(tmp_path, "b.csv", text))
    assert [line for line, _ in problems(exc)] == [4]


def test_every_copy_of_a_duplicated_reference_is_refused(tmp_path: Path) -> None:
    text = HEADER + "A1,22670123456,5000,,\nA2,22670123456,5000,,\nA1,22670123457,100,,\n"
    with pytest.raises(BatchValidationError) as exc:
        load_batch(write(tmp_path, "b.csv", text))
    assert problems(exc) == [
        (2, "reference 'A1' also on line 4"),
        (4, "reference 'A1' also on line 2"),
    ]


def test_duplicates_are_not_skipped_into_a_smaller_batch_silently(tmp_path: Path) -> None:
    text = HEADER + "A1,22670123456,5000,,\nA2,22670123456,5000,,\nA1,22670123457,100,,\n"
    batch = load_batch(write(tmp_path, "b.csv", text), skip_invalid=True)
    assert [i.reference for i in batch.items] == ["A2"]
    assert [p.line for p in batch.skipped] == [2, 4]


def test_unknown_and_missing_columns_are_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(BatchValidationError) as exc:
        load_batch(write(tmp_path, "b.csv", "reference,telephone,amount\nA1,2267,5000\n"))
    messages = [m for _, m in problems(exc)]
    assert any("unknown column 'telephone'" in m for m in messages)
    assert any("missing column 'phone'" in m for m in messages)


def test_unknown_columns_cannot_be_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "reference,phone,amount,iban\nA1,22670123456,5000,X\n")
    with pytest.raises(BatchValidationError):
        load_batch(path, skip_invalid=True)


def test_skip_invalid_keeps_the_good_rows_and_lists_the_bad(tmp_path: Path) -> None:
    text = HEADER + "A1,22670123456,5000,,\nA2,22670123456,0,,\n"
    batch = load_batch(write(tmp_path, "b.csv", text), skip_invalid=True)
    assert [i.reference for i in batch.items] == ["A1"]
    assert [p.line for p in batch.skipped] == [3]


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", HEADER + "A1,22670123456,5000,,Prime été\n", "cp1252")
    with pytest.raises(BatchValidationError) as exc:
        load_batch(path)
    assert problems(exc)[0][0] == 2
    assert "UTF-8" in problems(exc)[0][1]


def test_a_row_with_too_many_cells_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchValidationError) as exc:
        load_batch(write(tmp_path, "b.csv", "reference,phone,amount\nA1,22670123456,5,000\n"))
    assert problems(exc)[0][0] == 2


def test_to_wallet_only_for_client_payouts() -> None:
    row = {"reference": "A", "phone": "22670123456", "amount": 100, "to_wallet": "yes"}
    with pytest.raises(BatchValidationError, match="to_wallet"):
        load_batch([row])
    assert load_batch([{**row, "type": "client"}]).items[0].to_wallet is True


def test_json_errors_name_the_item_number() -> None:
    rows = [
        {"reference": "A", "phone": "22670123456", "amount": 100},
        {"reference": "B", "phone": "22670123456", "amount": 100, "iban": "x"},
    ]
    with pytest.raises(BatchValidationError) as exc:
        load_batch(rows)
    assert problems(exc)[0][0] == 2


def test_an_empty_batch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchValidationError, match="no payouts"):
        load_batch(write(tmp_path, "b.csv", HEADER))


def test_the_shipped_sample_file_loads() -> None:
    from importlib.resources import files

    sample = files("ligdicash.payouts").joinpath("sample_batch.csv")
    batch = load_batch(str(sample))
    assert len(batch) == 5


def test_batch_ids_stay_those_of_earlier_releases_and_batch_id_of_agrees(tmp_path: Path) -> None:
    # A ledger keeps batch ids: a release that computed them differently would make a
    # re-run of a half-paid file a new batch, and pay its first half again.
    from ligdicash.payouts._batch import batch_id_of

    path = write(
        tmp_path,
        "pin.csv",
        "reference;phone;amount;type;description\nA1;22670123456;5000;client;Prime été\n"
        "A2;+226 70 12 34 57;5 000,00;;x\n",
    )
    assert load_batch(path).id == "be100e76541fa81aa"
    assert batch_id_of(path) == "be100e76541fa81aa"
    objects = [{"reference": "A", "phone": "22670123456", "amount": 100}]
    assert load_batch(objects).id == batch_id_of(objects) == "b12605976d16f8356"


def test_batch_id_of_leaves_out_every_copy_of_a_repeated_reference_like_load_batch(
    tmp_path: Path,
) -> None:
    from ligdicash.payouts._batch import batch_id_of

    text = HEADER + "A1,22670123456,5000,,\nA2,22670123456,6000,,\nA1,22670123457,100,,\n"
    path = write(tmp_path, "b.csv", text)
    loaded = load_batch(path, skip_invalid=True)
    assert [item.reference for item in loaded.items] == ["A2"]
    assert batch_id_of(path, skip_invalid=True) == loaded.id
    with pytest.raises(BatchValidationError):
        batch_id_of(path)


def test_a_bad_byte_deep_in_a_streamed_file_still_names_its_line(tmp_path: Path) -> None:
    # The file is decoded in chunks, ahead of the rows: the line must still be exact.
    good = "".join(f"R{i},22670123456,5000,,ok\n" for i in range(5_000))
    path = tmp_path / "deep.csv"
    path.write_bytes((HEADER + good).encode() + "R-bad,22670123456,5000,,été\n".encode("cp1252"))
    with pytest.raises(BatchValidationError) as exc:
        load_batch(path)
    assert problems(exc) == [(5_002, "the file is not UTF-8 (save it as 'CSV UTF-8' or JSON)")]
