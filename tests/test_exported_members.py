"""The public front door: ``ligdicash.__all__`` is pinned and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import ligdicash


def test_all_is_sorted_and_every_name_exists() -> None:
    assert ligdicash.__all__ == sorted(ligdicash.__all__, key=str)
    for name in ligdicash.__all__:
        assert hasattr(ligdicash, name), name


def test_core_public_names_are_exported() -> None:
    expected = {
        "Client", "Invoice", "InvoiceItem", "Withdrawal", "get_transaction", "Transaction",
        "PaymentResponse", "LigdicashError", "RequestRecord", "reset_default_client",
    }  # fmt: skip
    assert expected <= set(ligdicash.__all__)


def test_importing_ligdicash_loads_no_optional_extra() -> None:
    code = (
        "import sys, ligdicash; "
        "heavy = [m for m in ('starlette', 'uvicorn', 'django', 'flask', 'fastapi', 'click',"
        " 'rich', 'ligdicash.sandbox', 'ligdicash.contrib') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
