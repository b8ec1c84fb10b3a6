"""``ligdicash demo``: the whole payment lifecycle against an embedded sandbox, step by step.

Starts a sandbox and a local merchant endpoint (callbacks, return and cancel pages) in this
process, points the SDK at the sandbox through its public settings, then runs a hosted
payin, a direct payin and a client payout. Needs no keys and no network.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Callable, Literal

import httpx

import ligdicash
from ligdicash._i18n import message
from ligdicash.sandbox import CallbackReceiver, ReceivedCallback, Sandbox, SandboxConfig

Say = Callable[..., Any]
Words = Callable[..., str]
_SETTINGS = ("api_key", "auth_token", "base_url")


class DemoFailure(Exception):
    """A step of the demo did not go as expected."""


def _poll(kind: Literal["payin", "client_payout"], token: str, timeout: float = 10.0) -> Any:
    """Ask for the status until it is final (every 0.25 s; real code waits ~3 s)."""
    deadline = time.monotonic() + timeout
    while True:
        transaction = ligdicash.get_transaction(token, kind)
        if transaction.is_final or time.monotonic() > deadline:
            return transaction
        time.sleep(0.25)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailure(message)


def _check_callbacks(
    say: Say, words: Words, rx: CallbackReceiver, sb: Sandbox, reference: str
) -> list[ReceivedCallback]:
    calls = rx.wait_for(2, timeout=10, where=lambda c: c.order_id == reference)
    kinds = sorted(c.content_type.split(";")[0] for c in calls)
    _expect(kinds == ["application/json", "application/x-www-form-urlencoded"], f"got {kinds}")
    for call in calls:
        # A payin's hash is in custom_data (documented) or at the top level (older
        # shape); the documented payout callback has none.
        callback = call.callback
        if callback.has_hash:
            _expect(
                callback.hash_matches(api_key=sb.api_key, auth_token=sb.auth_token),
                "callback hash does not match",
            )
    status = calls[0].fields["status"]
    say(f"  [green]✓[/green] {words('demo.callbacks_ok', status=repr(status))}")
    return calls


def _shop_invoice(reference: str) -> ligdicash.Invoice:
    """The invoice both payins show (the documented example's shop and customer)."""
    return ligdicash.Invoice(
        currency="xof",
        description=f"Order #{reference}",
        customer_firstname="Amadou",
        customer_lastname="Ouedraogo",
        customer_email="amadou@example.com",
        store_name="MySuperStore",
        store_website_url="https://mysuperstore.com",
    )


def _hosted_payin(
    say: Say, words: Words, sb: Sandbox, rx: CallbackReceiver, reference: str
) -> None:
    say(f"[bold]{words('demo.hosted_title')}[/bold] {words('demo.hosted_note')}")
    invoice = _shop_invoice(reference)
    invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
    invoice.add_item(name="Shipping fee", description="", quantity=1, unit_price=1500)
    response = invoice.pay_with_redirection(
        return_url=rx.return_url,
        cancel_url=rx.cancel_url,
        callback_url=rx.callback_url,
        custom_data={"transaction_id": reference},
    )
    say("  " + words("demo.invoice_created", token=response.token[:24], length=len(response.token)))
    say("  " + words("demo.payment_page", url=response.response_text))
    with httpx.Client(follow_redirects=True, timeout=10, trust_env=False) as browser:
        page = browser.get(response.response_text)
        operator = re.search(r'name=operator value="([^"]+)"', page.text)
        _expect(page.status_code == 200 and operator is not None, "payment page has no form")
        assert operator is not None
        landed = browser.post(
            response.response_text, data={"action": "pay", "operator": operator.group(1)}
        )
    _expect(str(landed.url) == rx.return_url, f"landed on {landed.url}, not the return_url")
    say("  " + words("demo.customer_paid", url=landed.url))
    _check_callbacks(say, words, rx, sb, reference)
    transaction = ligdicash.get_transaction(response.token, "payin")
    _expect(transaction.status == "completed", f"status is {transaction.status!r}")
    done = words(
        "demo.status_amount",
        status=transaction.status,
        amount=transaction.amount,
        custom_data=transaction.custom_data,
    )
    say(f"  [green]✓[/green] {done}")


def _direct_payin(
    say: Say, words: Words, sb: Sandbox, rx: CallbackReceiver, reference: str
) -> None:
    say(f"[bold]{words('demo.direct_title')}[/bold] {words('demo.direct_note')}")
    invoice = _shop_invoice(reference)
    invoice.add_item(name="Kente shirt", description="Size M", quantity=2, unit_price=15000)
    response = invoice.pay_without_redirection(
        otp="123456",
        customer="22670123456",
        callback_url=rx.callback_url,
        custom_data={"transaction_id": reference},
    )
    _show_settled(say, words, sb, rx, reference, response.token)


def _show_settled(
    say: Say, words: Words, sb: Sandbox, rx: CallbackReceiver, reference: str, token: str
) -> None:
    """What the direct and wallet payins show once created: the settled status, the callbacks."""
    say("  " + words("demo.payment_started", token=token[:24]))
    transaction = _poll("payin", token)
    _expect(transaction.status == "completed", f"status is {transaction.status!r}")
    done = words(
        "demo.status_operator", status=transaction.status, operator=transaction.operator_name
    )
    say(f"  [green]✓[/green] {done}")
    _check_callbacks(say, words, rx, sb, reference)


def _wallet_payin(
    say: Say, words: Words, sb: Sandbox, rx: CallbackReceiver, reference: str
) -> None:
    say(f"[bold]{words('demo.wallet_title')}[/bold] {words('demo.wallet_note')}")
    invoice = ligdicash.Invoice(description=f"Top-up #{reference}", store_name="MySuperStore")
    invoice.add_item(name="Wallet top-up", description="", quantity=1, unit_price=2500)
    invoice.send_wallet_otp(customer="22670123456")
    otp = sb.wallet_otp("22670123456", invoice.total_amount)  # the customer's phone
    say("  " + words("demo.wallet_otp_sent", otp=otp))
    response = invoice.pay_with_wallet_otp(
        otp=otp,
        customer="22670123456",
        callback_url=rx.callback_url,
        custom_data={"transaction_id": reference},
    )
    _show_settled(say, words, sb, rx, reference, response.token)


def _payout(say: Say, words: Words, sb: Sandbox, rx: CallbackReceiver, reference: str) -> None:
    say(f"[bold]{words('demo.payout_title')}[/bold] {words('demo.payout_note')}")
    before = sb.balance()
    withdrawal = ligdicash.Withdrawal(
        amount=5000, description=f"Refund for order {reference}", customer="22670123456"
    )
    response = withdrawal.send(
        type="client",
        to_wallet=False,
        callback_url=rx.callback_url,
        custom_data={"transaction_id": reference},
    )
    say("  " + words("demo.payout_requested", token=response.token[:24]))
    transaction = _poll("client_payout", response.token)
    _expect(transaction.status == "completed", f"status is {transaction.status!r}")
    done = words(
        "demo.status_balance",
        status=transaction.status,
        # The documented payout status answer carries no amount: show the one sent.
        amount=withdrawal.amount if transaction.amount is None else transaction.amount,
        before=before,
        after=sb.balance(),
    )
    say(f"  [green]✓[/green] {done}")
    _check_callbacks(say, words, rx, sb, reference)


def run(say: Say = print, language: str = "en") -> int:
    """Run the demo, reporting through ``say`` (e.g. ``rich.console.Console().print``) in
    ``language`` (``"en"`` or ``"fr"``, see ``ligdicash._i18n``).

    Returns the process exit code: 0 when every step succeeded.
    """

    def words(key: str, **fields: Any) -> str:
        return message(language, key, **fields)

    saved = {name: getattr(ligdicash, name, None) for name in _SETTINGS}
    config = SandboxConfig(otp_delay=0.3, approval_delay=0.3, client_payout_delay=0.5)
    run_id = uuid.uuid4().hex[:6].upper()
    try:
        with Sandbox(config) as sb, CallbackReceiver() as rx:
            say(words("demo.sandbox_at", url=sb.base_url, dashboard=f"{sb.url}/_sandbox/"))
            say(words("demo.merchant_at", url=rx.url))
            ligdicash.api_key = sb.api_key
            ligdicash.auth_token = sb.auth_token
            ligdicash.base_url = sb.base_url
            _hosted_payin(say, words, sb, rx, f"ORD-{run_id}-1")
            _direct_payin(say, words, sb, rx, f"ORD-{run_id}-2")
            _payout(say, words, sb, rx, f"REFUND-{run_id}")
            _wallet_payin(say, words, sb, rx, f"TOP-{run_id}")
    except (DemoFailure, ligdicash.LigdicashError, TimeoutError, httpx.HTTPError) as exc:
        say(f"[red]✗ {words('demo.failed', error=f'{type(exc).__name__}: {exc}')}[/red]")
        return 1
    finally:
        for name, value in saved.items():
            setattr(ligdicash, name, value)
    say(f"[green bold]{words('demo.succeeded')}[/green bold] {words('demo.nothing_left')}")
    return 0
