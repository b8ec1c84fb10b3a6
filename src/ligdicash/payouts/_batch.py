"""Reading a payout batch (CSV, JSON or Python objects) and validating all of it at once.

Nothing is sent from a batch with a bad row unless the caller asks to skip bad rows: every
problem is collected with its line number (CSV: the file's line; JSON: the item's index + 1)
and raised together in one :class:`BatchValidationError`. A batch's id is a digest of its
normalised items, so loading the same payouts twice (even re-saved with another separator or
a BOM) gives the same batch, and a re-run resumes it instead of paying anyone twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, Union

from .._exceptions import InvalidRequestError, LigdicashError
from .._validation import check_total, to_francs, to_phone
from ._batch_read import BatchValidationError, RowProblem, read_rows

__all__ = [
    "Batch",
    "BatchValidationError",
    "PayoutItem",
    "RowProblem",
    "batch_id_of",
    "load_batch",
]

PAYOUT_TYPES = ("client", "merchant")

#: The countries LigdiCash pays to (the operators' table of docs/wire-contract.md), by
#: country code, with the number of digits their numbers have after it. Numbers are
#: written as LigdiCash wants them: country code first (``22670123456``); Benin's numbers
#: grew from 8 to 10 digits in 2024, both are taken.
COUNTRIES: dict[str, tuple[str, tuple[int, ...]]] = {
    "226": ("Burkina Faso", (8,)),
    "229": ("Benin", (8, 10)),
    "225": ("Côte d'Ivoire", (10,)),
    "224": ("Guinea", (9,)),
    "223": ("Mali", (8,)),
    "227": ("Niger", (8,)),
    "243": ("DR Congo", (9,)),
}
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
    digest = _Digest()
    for item in items:
        digest.add(item)
    return digest.id()


class _Digest:
    """:func:`batch_digest` one item at a time: the SHA-256 of
    ``json.dumps([item.canonical(), ...], sort_keys=True, ensure_ascii=True)``, fed piece by
    piece (``[``, the items joined by ``", "``, ``]``), so that ids never change."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(b"[")
        self._first = True

    def add(self, item: PayoutItem) -> None:
        text = json.dumps(item.canonical(), sort_keys=True, ensure_ascii=True)
        self._hash.update((text if self._first else ", " + text).encode("ascii"))
        self._first = False

    def id(self) -> str:
        final = self._hash.copy()
        final.update(b"]")
        return "b" + final.hexdigest()[:16]


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


# More digits than any amount the API takes; int() of a longer string is refused anyway
# (ValueError beyond 4,300 digits), and this keeps it constant-time.
_MAX_AMOUNT_DIGITS = 15
_GROUPED = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")


def _read_amount(value: Any) -> int:
    """Whole CFA francs from a cell or a JSON value. XOF has no minor unit, so a ``.`` or
    ``,`` is refused with what to write instead (``50.000`` and ``50,000`` are 50,000 in
    some locales and 50 in others), except the one unambiguous form spreadsheets write for
    a number cell with two decimals: ``5000,00`` / ``5000.00`` (never a thousands group)."""
    if isinstance(value, str):  # a cell, or a JSON number as written (JsonDecimal)
        text = value.strip()
        # Spaces (and the no-break spaces of French locales) only ever group thousands.
        cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if cleaned[-3:] in (",00", ".00") and cleaned[:-3].isascii() and cleaned[:-3].isdigit():
            cleaned = cleaned[:-3]
        if cleaned.isascii() and cleaned.isdigit():
            if len(cleaned.lstrip("0")) > _MAX_AMOUNT_DIGITS:
                raise InvalidRequestError(f"amount {_shown(text)} is too large")
            value = int(cleaned)
        elif _GROUPED.fullmatch(cleaned):
            raise InvalidRequestError(
                f"amount {_shown(text)} is ambiguous: write {re.sub('[.,]', '', cleaned)}"
                " (digits only, no separator)"
            )
        elif _DECIMAL.fullmatch(cleaned):
            head = re.split("[.,]", cleaned)[0]
            raise InvalidRequestError(
                f"amount {_shown(text)} has decimals, and XOF has no cents: write whole francs"
                f" (e.g. {head or '0'}), digits only"
            )
        elif "." in cleaned or "," in cleaned:
            raise InvalidRequestError(
                f"amount {_shown(text)} is ambiguous: write whole CFA francs in digits only, "
                "no separator (e.g. 5000)"
            )
        else:
            raise InvalidRequestError(
                f"amount {_shown(text)} is not a whole number of CFA francs in digits (0-9)"
            )
    return check_total(to_francs(value, "amount"), "amount")


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short (a cell may hold 100,000 characters)."""
    return repr(text if len(text) <= 30 else text[:30] + "...")


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
    phone = _check_country(
        to_phone(str(phone) if isinstance(phone, int) else phone, "phone", required=True)
    )
    amount = row.get("amount")
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        raise InvalidRequestError("amount is empty")
    francs = _read_amount(amount)
    kind = str(row.get("type") or "").strip().lower() or default_type
    if kind not in PAYOUT_TYPES:
        raise InvalidRequestError(f"type must be 'client' or 'merchant', got {kind!r}")
    kind = PAYOUT_TYPES[PAYOUT_TYPES.index(kind)]  # one shared string, not one per row
    to_wallet = _read_bool(row.get("to_wallet"))
    if to_wallet and kind != "client":
        raise InvalidRequestError("to_wallet only applies to type 'client'")
    description = row.get("description")
    description = "" if description is None else str(description).strip()
    if "\x00" in description:
        # PostgreSQL cannot store it, and no payout description needs it.
        raise InvalidRequestError("description contains a NUL character")
    return PayoutItem(reference, phone, francs, kind, to_wallet, description, line)


def _check_country(phone: str) -> str:
    """``phone`` (digits) if it starts with the code of a country LigdiCash pays to and
    has that country's length; else the problem, before anything is sent (LigdiCash would
    refuse it at send time: Code05, operator not identified)."""
    for code, (country, lengths) in COUNTRIES.items():
        if phone.startswith(code):
            if len(phone) - len(code) in lengths:
                return phone
            digits = " or ".join(str(n) for n in lengths)
            raise InvalidRequestError(
                f"phone {phone} is not a {country} number: {digits} digits after {code}"
            )
    known = ", ".join(f"{code} {country}" for code, (country, _) in COUNTRIES.items())
    raise InvalidRequestError(
        f"phone {phone} does not start with the country code of a country LigdiCash pays "
        f"to ({known}): write it country code first, e.g. 22670123456"
    )


class _Scan:
    """Validates rows one at a time: keeps the items (or only the digest), the problems,
    and the first line of each reference (to refuse every copy of a repeated one)."""

    def __init__(
        self,
        default_type: str,
        keep_items: bool,
        exclude: frozenset[str],
        allow_repeat_recipient: bool = True,
    ) -> None:
        self.default_type = default_type
        self.allow_repeat_recipient = allow_repeat_recipient
        self.keep_items = keep_items
        self.exclude = exclude
        self.items: list[PayoutItem] = []
        self.problems: list[RowProblem] = []
        self.digest = _Digest()
        self.count = 0
        self.first_line: dict[str, int] = {}
        self.repeated: dict[str, list[int]] = {}
        # Repeated recipients refused: the first row (line, reference) of each number (once
        # normalised), and every row of the numbers seen more than once.
        self.first_row: dict[str, tuple[int, str]] = {}
        self.repeated_recipients: dict[str, list[tuple[int, str]]] = {}

    def add(self, line: int, row: Mapping[str, Any]) -> None:
        try:
            item = _read_row(row, line, self.default_type)
        except LigdicashError as exc:
            self.problems.append(RowProblem(line, exc.message))
            return
        first = self.first_line.setdefault(item.reference, line)
        if first != line:
            self.repeated.setdefault(item.reference, [first]).append(line)
        if not self.allow_repeat_recipient:
            row_of = (line, item.reference)
            first_row = self.first_row.setdefault(item.phone, row_of)
            if first_row != row_of:
                self.repeated_recipients.setdefault(item.phone, [first_row]).append(row_of)
        if item.reference in self.exclude:
            return
        self.count += 1
        if self.keep_items:
            self.items.append(item)
        else:
            self.digest.add(item)

    def repeat_problems(self) -> list[RowProblem]:
        found = []
        for ref, lines in self.repeated.items():
            for line in lines:
                others = ", ".join(str(n) for n in lines if n != line)
                found.append(RowProblem(line, f"reference {ref!r} also on line {others}"))
        for phone, rows in self.repeated_recipients.items():
            for line, _ in rows:
                others = ", ".join(str(n) for n, _ in rows if n != line)
                found.append(
                    RowProblem(
                        line,
                        f"recipient {phone} also on line {others} (numbers compared once "
                        "normalised); if both payouts are meant: --allow-repeat-recipient",
                    )
                )
        return found

    def excluded_references(self) -> frozenset[str]:
        """The references left out of the batch: every copy of a repeated reference, and
        (repeated recipients refused) every row of a repeated recipient."""
        refs = set(self.repeated)
        for rows in self.repeated_recipients.values():
            refs.update(ref for _, ref in rows)
        return frozenset(refs)


def _scan(
    source: Any,
    *,
    skip_invalid: bool,
    default_type: str,
    format: Optional[str],
    keep_items: bool,
    allow_repeat_recipient: bool = True,
    exclude: frozenset[str] = frozenset(),
) -> _Scan:
    if default_type not in PAYOUT_TYPES:
        raise InvalidRequestError(f"default_type must be 'client' or 'merchant': {default_type!r}")
    scan = _Scan(default_type, keep_items, exclude, allow_repeat_recipient)
    for line, row in read_rows(source, format, scan.problems):
        scan.add(line, row)
    scan.problems += scan.repeat_problems()
    scan.problems.sort(key=lambda p: p.line)
    if scan.problems and not skip_invalid:
        raise BatchValidationError(scan.problems)
    return scan


BatchSource = Union[str, "os.PathLike[str]", Iterable[Mapping[str, Any]]]


def load_batch(
    source: BatchSource,
    *,
    skip_invalid: bool = False,
    default_type: str = "merchant",
    format: Optional[str] = None,
    allow_repeat_recipient: bool = True,
) -> Batch:
    """Read and validate a whole batch; raise before anything could be sent.

    A CSV file is read row by row (a million rows hold only the validated items in
    memory); a JSON file is parsed whole.

    Args:
        source: a ``.csv`` or ``.json`` file path, or an iterable of dicts (or
            :class:`PayoutItem`) with the keys ``reference``, ``phone``, ``amount`` and
            optionally ``type``, ``to_wallet``, ``description``.
        skip_invalid: leave bad rows out (listed in :attr:`Batch.skipped`) instead of
            refusing the batch. Duplicated references are never skipped silently: every
            copy is refused.
        default_type: the payout type of rows without one.
        format: ``"csv"`` or ``"json"``; by default from the file's extension.
        allow_repeat_recipient: ``False`` refuses two rows paying one number (written
            alike or not: ``+226 70-12-34-56`` and ``0022670123456`` are one recipient),
            naming both lines; with ``skip_invalid`` every such row is left out. The
            ``ligdicash payouts run`` command passes ``False`` unless
            ``--allow-repeat-recipient``.

    Phone numbers must start with the country code of a country LigdiCash pays to
    (:data:`COUNTRIES`) and have that country's length.

    Raises:
        BatchValidationError: bad rows (with line numbers), unknown or missing columns,
            a file that is not UTF-8, an empty batch. Nothing has been sent.
        InvalidRequestError: the file cannot be read.
    """
    scan = _scan(
        source,
        skip_invalid=skip_invalid,
        default_type=default_type,
        format=format,
        keep_items=True,
        allow_repeat_recipient=allow_repeat_recipient,
    )
    items = scan.items
    excluded = scan.excluded_references()
    if excluded:
        items = [item for item in items if item.reference not in excluded]
    if not items:
        raise BatchValidationError(scan.problems or [RowProblem(0, "the batch has no payouts")])
    source_name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else ""
    return Batch(batch_digest(items), tuple(items), tuple(scan.problems), source_name)


def batch_id_of(
    source: BatchSource,
    *,
    skip_invalid: bool = False,
    default_type: str = "merchant",
    format: Optional[str] = None,
    allow_repeat_recipient: bool = True,
) -> str:
    """The id :func:`load_batch` would give ``source``, without keeping its items (a
    million-row file is read twice if it repeats a reference, never held in memory).

    Raises:
        BatchValidationError: as :func:`load_batch`.
        InvalidRequestError: the file cannot be read.
    """
    if not isinstance(source, (str, os.PathLike)):
        return load_batch(
            source,
            skip_invalid=skip_invalid,
            default_type=default_type,
            format=format,
            allow_repeat_recipient=allow_repeat_recipient,
        ).id
    options: dict[str, Any] = {
        "skip_invalid": skip_invalid,
        "default_type": default_type,
        "format": format,
        "allow_repeat_recipient": allow_repeat_recipient,
    }
    scan = _scan(source, keep_items=False, **options)
    excluded = scan.excluded_references()
    if excluded:
        # Every copy of a repeated reference (and every row of a refused repeated
        # recipient) is left out of the batch, which the first reading could not know
        # before the end: read again without them.
        scan = _scan(source, keep_items=False, exclude=excluded, **options)
    if not scan.count:
        raise BatchValidationError(scan.problems or [RowProblem(0, "the batch has no payouts")])
    return scan.digest.id()
