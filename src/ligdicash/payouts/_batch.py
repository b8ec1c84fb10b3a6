"""Reading a payout batch (CSV, JSON or Python objects) and validating all of it at once.

Nothing is sent from a batch with a bad row unless the caller asks to skip bad rows: every
problem is collected with its line number (CSV: the file's line; JSON: the item's index + 1)
and raised together in one :class:`BatchValidationError`. A batch's id is a digest of its
normalised items, so loading the same payouts twice (even re-saved with another separator or
a BOM) gives the same batch, and a re-run resumes it instead of paying anyone twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, Union

from .._exceptions import InvalidRequestError, LigdicashError
from .._validation import check_total, to_francs, to_phone

__all__ = ["Batch", "BatchValidationError", "PayoutItem", "RowProblem", "load_batch"]

REQUIRED_COLUMNS = ("reference", "phone", "amount")
OPTIONAL_COLUMNS = ("type", "to_wallet", "description")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
PAYOUT_TYPES = ("client", "merchant")
MAX_REFERENCE_LENGTH = 64
_TRUE = ("1", "true", "yes", "oui", "y", "o")
_FALSE = ("", "0", "false", "no", "non", "n")


@dataclass(frozen=True)
class PayoutItem:
    """One payout of a batch, validated and normalised.

    Attributes:
        reference: the user's own id for this payout, unique in the batch.
        phone: the recipient's number as LigdiCash wants it (``22670123456``).
        amount: whole CFA francs, within [9; 2,000,000].
        type: ``"client"`` (through the LigdiCash wallet) or ``"merchant"`` (direct).
        to_wallet: client payouts only: keep the money in the LigdiCash wallet.
        description: the payout's description.
        line: where the row was in the file (1-based), for messages.
    """

    reference: str
    phone: str
    amount: int
    type: str = "merchant"
    to_wallet: bool = False
    description: str = ""
    line: int = 0

    def canonical(self) -> dict[str, Any]:
        """The fields that define the payout (not its line), for the batch digest."""
        return {
            "reference": self.reference,
            "phone": self.phone,
            "amount": self.amount,
            "type": self.type,
            "to_wallet": self.to_wallet,
            "description": self.description,
        }


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


@dataclass(frozen=True)
class Batch:
    """A validated batch: its id (a digest of its items), its items, and the rows skipped.

    Attributes:
        id: ``"b"`` + 16 hex digits of the SHA-256 of the normalised items, in order.
        items: the payouts, in file order.
        skipped: the bad rows left out (only when loaded with ``skip_invalid=True``).
        source: the file it came from, if any.
    """

    id: str
    items: tuple[PayoutItem, ...]
    skipped: tuple[RowProblem, ...] = ()
    source: str = ""

    @property
    def total(self) -> int:
        """The sum of the amounts, in CFA francs."""
        return sum(item.amount for item in self.items)

    def __len__(self) -> int:
        return len(self.items)


def batch_digest(items: Iterable[PayoutItem]) -> str:
    """The batch id of these items: stable across encodings, separators and key order."""
    canonical = json.dumps([i.canonical() for i in items], sort_keys=True, ensure_ascii=True)
    return "b" + hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


def _read_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidRequestError(f"to_wallet must be yes/no (or 1/0), got {value!r}")


def _read_amount(value: Any) -> int:
    if isinstance(value, str):
        cleaned = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not cleaned.isdigit():
            # "1500,50" or "1500.5": XOF has no cents; "1500.00" is whole and accepted.
            whole = cleaned.replace(",", ".")
            head, _, tail = whole.partition(".")
            if not (head.isdigit() and tail and set(tail) == {"0"}):
                raise InvalidRequestError(f"amount must be whole CFA francs, got {value!r}")
            cleaned = head
        value = int(cleaned)
    return check_total(to_francs(value, "amount"), "amount")


def _read_row(row: Mapping[str, Any], line: int, default_type: str) -> PayoutItem:
    """Validate one row, or raise :class:`InvalidRequestError` naming the first problem."""
    reference = str(row.get("reference") or "").strip()
    if not reference:
        raise InvalidRequestError("reference is empty")
    if len(reference) > MAX_REFERENCE_LENGTH or not reference.isprintable():
        raise InvalidRequestError(
            f"reference must be printable and at most {MAX_REFERENCE_LENGTH} characters"
        )
    phone = row.get("phone")
    phone = to_phone(str(phone) if isinstance(phone, int) else phone, "phone", required=True)
    amount = row.get("amount")
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        raise InvalidRequestError("amount is empty")
    francs = _read_amount(amount)
    kind = str(row.get("type") or "").strip().lower() or default_type
    if kind not in PAYOUT_TYPES:
        raise InvalidRequestError(f"type must be 'client' or 'merchant', got {kind!r}")
    to_wallet = _read_bool(row.get("to_wallet"))
    if to_wallet and kind != "client":
        raise InvalidRequestError("to_wallet only applies to type 'client'")
    description = row.get("description")
    description = "" if description is None else str(description).strip()
    return PayoutItem(reference, phone, francs, kind, to_wallet, description, line)


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


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BatchValidationError(
            [RowProblem(line, "the file is not UTF-8 (save it as 'CSV UTF-8' or JSON)")]
        ) from None


def _csv_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    header_line = text.split("\n", 1)[0]
    # Excel in French locales writes ';' (the decimal comma takes ','): pick what the
    # header uses, since a header never holds either inside a column name.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowProblem(1, "the file is empty")]
    columns = [name.strip().lower() for name in header]
    problems = _check_columns(columns, 1)
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, Any]]] = []
    line = reader.line_num
    for record in reader:
        start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(columns):
            problems.append(
                RowProblem(start, f"{len(record)} cells, but the header has {len(columns)}")
            )
            continue
        rows.append((start, dict(zip(columns, record))))
    return rows, problems


def _json_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", 0)
        return [], [RowProblem(line, f"not valid JSON: {getattr(exc, 'msg', exc)}")]
    if isinstance(data, Mapping) and isinstance(data.get("payouts"), list):
        data = data["payouts"]
    if not isinstance(data, list):
        return [], [RowProblem(0, 'JSON batch must be a list of objects (or {"payouts": [...]})')]
    return _object_rows(data)


def _object_rows(
    data: Iterable[Any],
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[RowProblem] = []
    for index, entry in enumerate(data, start=1):
        if isinstance(entry, PayoutItem):
            entry = entry.canonical()
        if not isinstance(entry, Mapping):
            problems.append(RowProblem(index, "item is not an object"))
            continue
        row = {str(k).strip().lower(): v for k, v in entry.items()}
        found = _check_columns(list(row), index)
        if found:
            problems.extend(found)
            continue
        rows.append((index, row))
    return rows, problems


BatchSource = Union[str, "os.PathLike[str]", Iterable[Mapping[str, Any]]]


def load_batch(
    source: BatchSource,
    *,
    skip_invalid: bool = False,
    default_type: str = "merchant",
    format: Optional[str] = None,
) -> Batch:
    """Read and validate a whole batch; raise before anything could be sent.

    Args:
        source: a ``.csv`` or ``.json`` file path, or an iterable of dicts (or
            :class:`PayoutItem`) with the keys ``reference``, ``phone``, ``amount`` and
            optionally ``type``, ``to_wallet``, ``description``.
        skip_invalid: leave bad rows out (listed in :attr:`Batch.skipped`) instead of
            refusing the batch. Duplicated references are never skipped silently: every
            copy is refused.
        default_type: the payout type of rows without one.
        format: ``"csv"`` or ``"json"``; by default from the file's extension.

    Raises:
        BatchValidationError: bad rows (with line numbers), unknown or missing columns,
            a file that is not UTF-8, an empty batch. Nothing has been sent.
        InvalidRequestError: the file cannot be read.
    """
    if default_type not in PAYOUT_TYPES:
        raise InvalidRequestError(f"default_type must be 'client' or 'merchant': {default_type!r}")
    source_name = ""
    if isinstance(source, (str, os.PathLike)):
        source_name = os.fspath(source)
        try:
            with open(source_name, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InvalidRequestError(f"cannot read {source_name}: {exc.strerror}") from None
        text = _decode(data)
        kind = format or ("json" if source_name.lower().endswith(".json") else "csv")
        rows, problems = _json_rows(text) if kind == "json" else _csv_rows(text)
    else:
        rows, problems = _object_rows(source)
    if problems and not rows:
        raise BatchValidationError(problems)
    return _validate(rows, problems, skip_invalid, default_type, source_name)


def _validate(
    rows: list[tuple[int, dict[str, Any]]],
    problems: list[RowProblem],
    skip_invalid: bool,
    default_type: str,
    source_name: str,
) -> Batch:
    items: list[PayoutItem] = []
    for line, row in rows:
        try:
            items.append(_read_row(row, line, default_type))
        except LigdicashError as exc:
            problems.append(RowProblem(line, exc.message))
    lines_by_reference: dict[str, list[int]] = {}
    for item in items:
        lines_by_reference.setdefault(item.reference, []).append(item.line)
    duplicated = {ref: lines for ref, lines in lines_by_reference.items() if len(lines) > 1}
    for ref, lines in duplicated.items():
        for line in lines:
            others = ", ".join(str(n) for n in lines if n != line)
            problems.append(RowProblem(line, f"reference {ref!r} also on line {others}"))
    items = [item for item in items if item.reference not in duplicated]
    problems.sort(key=lambda p: p.line)
    if problems and not skip_invalid:
        raise BatchValidationError(problems)
    if not items:
        raise BatchValidationError(problems or [RowProblem(0, "the batch has no payouts")])
    return Batch(batch_digest(items), tuple(items), tuple(problems), source_name)
