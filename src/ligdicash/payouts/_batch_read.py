"""Reading a batch's rows, one at a time: CSV files streamed, JSON files, Python objects.

:func:`read_rows` yields ``(line, row)`` pairs (the row a dict of lower-cased column names)
and collects the problems of rows it cannot hand out (wrong cell count, an unknown
column) into the caller's list. A CSV file is read line by line, never whole, so a
million-row file costs the memory of one row here. What makes the whole file unreadable
(not UTF-8, a bad header, a cell beyond the CSV limit) raises
:class:`BatchValidationError` at once.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Optional

from .._exceptions import InvalidRequestError

__all__ = ["COLUMNS", "BatchValidationError", "JsonDecimal", "RowProblem", "read_rows"]

REQUIRED_COLUMNS = ("reference", "phone", "amount")
OPTIONAL_COLUMNS = ("type", "to_wallet", "description")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

Row = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class RowProblem:
    """A bad row: its line number and what is wrong with it."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class BatchValidationError(InvalidRequestError):
    """The batch has bad rows (or is unreadable as a whole); nothing was sent.

    Attributes:
        problems: every problem found, each with its line number.
    """

    default_code = "invalid_batch"

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the batch: {shown}{more}")


class JsonDecimal(str):
    """A JSON number with a fraction or exponent, as written (``50.000`` stays ``50.000``:
    read as a float it would be 50, and the three zeros the writer meant would be lost)."""


def read_rows(source: Any, format: Optional[str], problems: list[RowProblem]) -> Iterator[Row]:
    """The rows of ``source`` (a path, or an iterable of mappings / objects with
    ``canonical()``), in order; problems of single rows are appended to ``problems``.

    Raises:
        BatchValidationError: the file as a whole cannot be read (nothing was yielded
            after the problem).
        InvalidRequestError: the file cannot be opened.
    """
    if not isinstance(source, (str, os.PathLike)):
        yield from _object_rows(source, problems)
        return
    name = os.fspath(source)
    try:
        handle = open(name, "rb")  # noqa: SIM115 (closed below, also when the caller stops)
    except OSError as exc:
        raise InvalidRequestError(f"cannot read {name}: {exc.strerror}") from None
    with handle:
        kind = format or ("json" if name.lower().endswith(".json") else "csv")
        if kind == "json":
            # No streaming JSON parser in the standard library: a JSON batch is read whole.
            yield from _json_rows(_decode(handle.read()), problems)
        else:
            yield from _csv_rows(handle, problems)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data[: exc.start].count(b"\n") + 1) from None


def _not_utf8(line: int) -> BatchValidationError:
    return BatchValidationError(
        [RowProblem(line, "the file is not UTF-8 (save it as 'CSV UTF-8' or JSON)")]
    )


def _check_columns(columns: Iterable[str], line: int) -> list[RowProblem]:
    names = list(columns)
    problems = [
        RowProblem(line, f"unknown column {name!r} (expected: {', '.join(COLUMNS)})")
        for name in names
        if name not in COLUMNS
    ]
    problems += [
        RowProblem(line, f"missing column {name!r}")
        for name in REQUIRED_COLUMNS
        if name not in names
    ]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(RowProblem(line, f"column {name!r} appears twice"))
        seen.add(name)
    return problems


def _csv_rows(handle: BinaryIO, problems: list[RowProblem]) -> Iterator[Row]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_text_rows(text, problems)
    except UnicodeDecodeError:
        # The decoder reads ahead of the rows: find the exact line from the bytes (the
        # error path only), as the whole-file reader used to.
        handle.seek(0)
        _decode(handle.read())
        raise  # pragma: no cover - _decode raised for the same bytes
    finally:
        text.detach()  # the caller's ``with`` closes the file


def _csv_text_rows(text: io.TextIOWrapper, problems: list[RowProblem]) -> Iterator[Row]:
    header_line = text.readline()
    # Excel in French locales writes ';' (the decimal comma takes ','): pick what the
    # header uses, since a header never holds either inside a column name.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(itertools.chain([header_line], text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BatchValidationError([RowProblem(1, "the file is empty")]) from None
    except csv.Error as exc:
        raise BatchValidationError([_unreadable(1, exc)]) from None
    columns = [name.strip().lower() for name in header]
    found = _check_columns(columns, 1)
    if found:
        raise BatchValidationError(found)
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader cannot go on past such a line: the file is refused (even with
            # skip_invalid: the rows after it were never read).
            raise BatchValidationError([*problems, _unreadable(start, exc)]) from None
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(columns):
            problems.append(
                RowProblem(start, f"{len(record)} cells, but the header has {len(columns)}")
            )
            continue
        yield start, dict(zip(columns, record))


def _unreadable(line: int, exc: csv.Error) -> RowProblem:
    if "field limit" in str(exc):
        limit = csv.field_size_limit()
        return RowProblem(line, f"a cell is longer than {limit:,} characters: not a payout row")
    return RowProblem(line, f"unreadable CSV ({exc})")


def _json_rows(text: str, problems: list[RowProblem]) -> Iterator[Row]:
    try:
        data = json.loads(text, parse_float=JsonDecimal)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", 0)
        raise BatchValidationError(
            [RowProblem(line, f"not valid JSON: {getattr(exc, 'msg', exc)}")]
        ) from None
    if isinstance(data, Mapping) and isinstance(data.get("payouts"), list):
        data = data["payouts"]
    if not isinstance(data, list):
        raise BatchValidationError(
            [RowProblem(0, 'JSON batch must be a list of objects (or {"payouts": [...]})')]
        )
    yield from _object_rows(data, problems)


def _object_rows(data: Iterable[Any], problems: list[RowProblem]) -> Iterator[Row]:
    for index, entry in enumerate(data, start=1):
        canonical = getattr(entry, "canonical", None)
        if callable(canonical) and not isinstance(entry, Mapping):
            entry = canonical()  # a PayoutItem
        if not isinstance(entry, Mapping):
            problems.append(RowProblem(index, "item is not an object"))
            continue
        row = {str(k).strip().lower(): v for k, v in entry.items()}
        found = _check_columns(list(row), index)
        if found:
            problems.extend(found)
            continue
        yield index, row
