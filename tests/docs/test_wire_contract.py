"""docs/wire-contract.md states what the code does: its per-family code table is the one the
SDK raises from, and no cell defers to a branch that was not merged yet."""

from __future__ import annotations

import re
from pathlib import Path

import ligdicash
from ligdicash._codes import TABLES

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "wire-contract.md"
HEADER = "| code | payin (live) | payin (test) | client payout | merchant payout | status |"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _status_cell(cell: str) -> dict[str, str]:
    # "live: A, test: B", "A (live)", "A" (both platforms) or "" (neither).
    if not cell:
        return {}
    if cell.startswith("live:"):
        live, test = (part.split(":", 1)[1].strip() for part in cell.split(","))
        return {"live": live, "test": test}
    if cell.endswith("(live)"):
        return {"live": cell[: -len("(live)")].strip()}
    return {"live": cell, "test": cell}


def _documented_tables() -> dict[tuple[str, str], dict[str, str]]:
    lines = CONTRACT.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # past the header and its |---| line
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        code, payin_live, payin_test, client, merchant, status = _cells(line)
        cells = {
            ("payin", "live"): payin_live,
            ("payin", "test"): payin_test,
            ("client_payout", "live"): client,
            ("client_payout", "test"): client,
            ("merchant_payout", "live"): merchant,
            ("merchant_payout", "test"): merchant,
        }
        for platform, name in _status_cell(status).items():
            cells[("status", platform)] = name
        for key, name in cells.items():
            if name:
                tables.setdefault(key, {})[code] = name
    return tables


def test_the_documented_code_table_is_the_one_the_sdk_raises_from() -> None:
    documented = _documented_tables()
    in_code = {
        key: {code: cls.__name__.removesuffix("Error") for code, cls in table.items()}
        for key, table in TABLES.items()
    }
    assert documented == in_code
    for table in documented.values():
        for name in table.values():
            assert issubclass(getattr(ligdicash, name + "Error"), ligdicash.RequestRefusedError)


def test_no_cell_defers_to_an_unmerged_branch() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    assert not re.findall(r"fid-\w+|\bbranch\b|\bto do\b|\bnot yet\b", text)
