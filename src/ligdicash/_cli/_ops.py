"""Operations commands around payments: ``status``, ``invoice create`` and ``payout``.

Each prints a short human answer, or one JSON object with ``--json`` (an error too), and
exits with the codes of :mod:`._common` (0 ok, 1 refused, 2 usage error, 3 network/server
failure, 5 a payout in doubt).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_IN_DOUBT,
    EXIT_OK,
    EXIT_REFUSED,
    amount_text,
    confirm,
    credential_options,
    exit_code_for,
    fail,
    make_client,
    one_line_errors,
    say,
)

if TYPE_CHECKING:
    import click

    from .._models import Transaction

TYPES = ("payin", "client_payout", "merchant_payout")


def _transaction_dict(tx: Transaction) -> dict[str, Any]:
    return {
        "status": tx.status,
        "raw_status": tx.raw_status,
        "amount": tx.amount,
        "operator_name": tx.operator_name,
        "customer": tx.customer,
        "custom_data": tx.custom_data,
        "date": tx.date,
        "transaction_id": tx.transaction_id,
    }


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, ensure_ascii=False) if as_json else text)


def register(cli: click.Group) -> None:
    """Add ``status``, ``invoice create`` and ``payout`` to the click group ``cli``."""
    import click

    @cli.command(help="Show the status of the transaction TOKEN (the creation token).")
    @click.argument("token")
    @click.option(
        "--type",
        "kind",
        type=click.Choice(TYPES),
        default="payin",
        show_default=True,
        help="Which family created the token.",
    )
    @click.option("--wait", is_flag=True, help="Poll until completed or cancelled.")
    @click.option(
        "--timeout",
        default=300.0,
        show_default=True,
        type=click.FloatRange(min=0),
        help="Seconds --wait polls before giving up.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @credential_options
    def status(
        token: str, kind: str, wait: bool, timeout: float, as_json: bool, **options: Any
    ) -> None:
        with one_line_errors(), make_client(options) as client:
            if wait:
                tx = client.wait_for_transaction(token, kind, timeout=timeout)  # type: ignore[arg-type]
            else:
                tx = client.get_transaction(token, kind)  # type: ignore[arg-type]
        amount = "?" if tx.amount is None else f"{amount_text(tx.amount)} XOF"
        # No trailing spaces when a part is empty (a pending payin has no operator yet).
        line = "  ".join(part for part in (tx.status, amount, tx.operator_name or "") if part)
        _emit(as_json, _transaction_dict(tx), line)

    @cli.group(help="Create invoices (hosted payment page).")
    def invoice() -> None:
        pass

    @invoice.command("create", help="Create a hosted-page invoice; print its URL and token.")
    @click.option("--amount", required=True, type=click.IntRange(min=1), help="Whole XOF.")
    @click.option("--description", required=True, help="What the customer pays for.")
    @click.option("--return-url", default="", help="Where the page sends the customer after.")
    @click.option("--cancel-url", default="", help="Where the page sends a customer who cancels.")
    @click.option("--callback-url", default="", help="Your endpoint for LigdiCash's callbacks.")
    @click.option("--store-name", default="", help="Shown on the payment page.")
    @click.option("--transaction-id", default="", help="custom_data transaction_id.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @credential_options
    def create(
        amount: int,
        description: str,
        return_url: str,
        cancel_url: str,
        callback_url: str,
        store_name: str,
        transaction_id: str,
        as_json: bool,
        **options: Any,
    ) -> None:
        with one_line_errors(), make_client(options) as client:
            inv = client.Invoice(currency="xof", description=description, store_name=store_name)
            inv.add_item(
                name=description or "Payment", description="", quantity=1, unit_price=amount
            )
            custom = {"transaction_id": transaction_id} if transaction_id else None
            response = inv.pay_with_redirection(
                cancel_url=cancel_url,
                return_url=return_url,
                callback_url=callback_url,
                custom_data=custom,
            )
        _emit(
            as_json,
            {"payment_url": response.payment_url, "token": response.token},
            f"payment_url: {response.payment_url}\ntoken: {response.token}",
        )

    @cli.command(help="Send one payout (asks for confirmation unless --yes).")
    @click.option("--phone", required=True, help="The recipient, e.g. 22670123456.")
    @click.option("--amount", required=True, type=click.IntRange(min=1), help="Whole XOF.")
    @click.option(
        "--type",
        "kind",
        type=click.Choice(["client", "merchant"]),
        required=True,
        help="client or merchant payout.",
    )
    @click.option("--description", default="", help="Shown with the payout.")
    @click.option("--to-wallet", is_flag=True, help="Client payouts: keep it in the wallet.")
    @click.option("--callback-url", default="", help="Your endpoint for LigdiCash's callbacks.")
    @click.option("--transaction-id", default="", help="custom_data transaction_id.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @credential_options
    def payout(
        phone: str,
        amount: int,
        kind: str,
        description: str,
        to_wallet: bool,
        callback_url: str,
        transaction_id: str,
        yes: bool,
        as_json: bool,
        **options: Any,
    ) -> None:
        from .._exceptions import LigdicashError
        from ..payouts import Fate, classify_error

        with one_line_errors(), make_client(options) as client:
            withdrawal = client.Withdrawal(description=description, amount=amount, customer=phone)
            if not yes:
                try:
                    question = say(
                        "cli.confirm_payout",
                        amount=amount_text(amount),
                        customer=withdrawal.customer,
                        kind=kind,
                    )
                    confirm(question)
                except click.Abort:
                    fail(say("cli.not_confirmed"), EXIT_REFUSED)
            custom = {"transaction_id": transaction_id} if transaction_id else None
            try:
                response = withdrawal.send(
                    type=kind, to_wallet=to_wallet, callback_url=callback_url, custom_data=custom
                )
            except LigdicashError as exc:
                if classify_error(exc).fate is Fate.IN_DOUBT:
                    fail(say("cli.payout_in_doubt", error=exc), EXIT_IN_DOUBT, error=exc)
                fail(str(exc), exit_code_for(exc), error=exc)
        _emit(
            as_json,
            {"token": response.token, "status": "sent"},
            say("cli.payout_sent", token=response.token),
        )
        raise SystemExit(EXIT_OK)


__all__ = ["register"]
