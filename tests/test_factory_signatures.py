"""``client.Invoice(...)`` / ``client.Withdrawal(...)`` take exactly the resource's arguments.

The factories spell the parameters out (IDE help, mypy checks of the arguments); this holds
them to the resources' constructors, and runs mypy on user code calling them.
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

import ligdicash
from ligdicash._base_client import _BaseClient
from ligdicash._resources import _InvoiceBase, _WithdrawalBase

ROOT = Path(__file__).resolve().parent.parent


def _parameters(function: Callable[..., Any], *drop: str) -> list[tuple[Any, ...]]:
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in inspect.signature(function).parameters.values()
        if p.name not in ("self", *drop)
    ]


@pytest.mark.parametrize(
    ("factory", "constructor"),
    [
        (_BaseClient.Invoice, _InvoiceBase.__init__),
        (_BaseClient.Withdrawal, _WithdrawalBase.__init__),
    ],
    ids=["Invoice", "Withdrawal"],
)
def test_a_factory_has_the_parameters_of_its_resource_but_client(
    factory: Callable[..., Any], constructor: Callable[..., Any]
) -> None:
    assert _parameters(factory) == _parameters(constructor, "client")


def test_the_factories_pass_every_argument_through() -> None:
    with ligdicash.Client(api_key="k", auth_token="t") as client:
        invoice = client.Invoice(
            "eur", "d", "f", "l", "e@example.org", "s", "https://shop", external_id="x"
        )
        withdrawal = client.Withdrawal("payout", 1000, "22670000000")
    assert (invoice.currency, invoice.description, invoice.customer_firstname) == (
        "eur",
        "d",
        "f",
    )
    assert (invoice.customer_lastname, invoice.customer_email) == ("l", "e@example.org")
    assert (invoice.store_name, invoice.store_website_url, invoice.external_id) == (
        "s",
        "https://shop",
        "x",
    )
    assert invoice._client is client
    assert (withdrawal.description, withdrawal.amount, withdrawal.customer) == (
        "payout",
        1000,
        "22670000000",
    )
    assert withdrawal._client is client


USER_CODE = """
    from __future__ import annotations

    import ligdicash

    async def main(aclient: ligdicash.AsyncClient) -> None:
        with ligdicash.Client(api_key="k", auth_token="t") as client:
            invoice: ligdicash.Invoice = client.Invoice(currency="xof", description="ok")
            client.Invoice(curency="xof")
            client.Withdrawal(description="p", amount=1000, customer=22670000000)
        payout: ligdicash.AsyncWithdrawal = aclient.Withdrawal("p", 1000, "22670000000")
        aclient.Invoice(external_id=3)
"""


# slow: about 10 s with a cold mypy cache (the 3.9 CI run, which deselects it: the checks
# are pinned to python_version 3.10 by pyproject.toml anyway); 1-2 s after the 3.11 run's mypy.
@pytest.mark.slow
def test_mypy_checks_the_arguments_given_to_the_factories(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = pytest.importorskip("mypy.api")
    user_code = tmp_path / "user_code.py"
    user_code.write_text(textwrap.dedent(USER_CODE), encoding="utf-8")
    # From the project root with its configuration: the cache of the CI's own mypy run (same
    # options) is reused, so this takes a second or two, not a full analysis.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), str(user_code)]
    )
    errors = [line.split(": error: ")[1] for line in stdout.splitlines() if ": error: " in line]
    assert status == 1, stdout + stderr
    assert len(errors) == 3, stdout
    assert 'Unexpected keyword argument "curency"' in errors[0]
    assert 'Argument "customer" to "Withdrawal"' in errors[1]
    assert 'has incompatible type "int"' in errors[1]
    assert 'Argument "external_id" to "Invoice"' in errors[2]
