"""The admin pages of the store's tables through Django's test client: every page in
English and French, filters and search, read-only rows, secrets and phone numbers masked,
the actions behind their own permissions, written to ``LogEntry``, refusing what the state
machine forbids."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from ligdicash._stores._base import inbox_digest
from ligdicash.contrib.django.models import IdempotencyKey, InboxMessage, TrackedPayment
from provider_payloads import json_body

TOKEN = "TOKNabcdefghijklmnopqrstuvwxyz0123456789SECRETPART-zyxW"
PHONE = "22670123456"
HASH = "f" * 16 + "0123456789abcdef" * 3
PAGES = {
    "trackedpayment": "order-1",
    "inboxmessage": None,  # the digest of the stored body
    "idempotencykey": "event:order-1:completed",
}


def _payment(reference: str, *, status: str = "pending", kind: str = "payin", **kw: Any) -> Any:
    now = time.time()
    values: dict[str, Any] = {
        "reference": reference,
        "kind": kind,
        "amount": 31500,
        "token": TOKEN,
        "status": status,
        "created_at": now - 600,
        "updated_at": now - 300,
        "next_poll_at": now + 3600,
        "poll_attempts": 2,
        "owner": "",
        "lease_until": 0.0,
        "note": "",
    }
    values.update(kw)
    return TrackedPayment.objects.create(**values)


def _callback_body(reference: str = "order-1") -> bytes:
    return json.dumps(
        {
            "token": TOKEN,
            "status": "completed",
            "amount": 31500,
            "customer": PHONE,
            "hash": HASH,
            "custom_data": {"transaction_id": reference},
        }
    ).encode()


def _entry(body: bytes, *, state: str = "done", outcome: str = "processed", **kw: Any) -> Any:
    now = time.time()
    values: dict[str, Any] = {
        "digest": inbox_digest(body, "application/json"),
        "body": body,
        "content_type": "application/json",
        "received_at": now - 120,
        "state": state,
        "owner": "",
        "lease_until": 0.0,
        "attempts": 5,
        "deliveries": 2,
        "outcome": outcome,
        "updated_at": now - 60,
    }
    values.update(kw)
    return InboxMessage.objects.create(**values)


def _claim(key: str = "event:order-1:completed") -> Any:
    return IdempotencyKey.objects.create(
        key=key,
        state="done",
        owner="o1",
        lease_until=0.0,
        attempts=1,
        note="",
        updated_at=time.time(),
    )


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


def _action(client: Client, model: str, action: str, keys: list[str]) -> Any:
    return client.post(
        f"/admin/ligdicash/{model}/",
        {"action": action, "_selected_action": keys, "index": "0"},
        follow=True,
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Tracked payments", "Callback inbox", "Idempotency claims", "Token (masked)"]),
        (
            "fr",
            [
                "Paiements suivis",
                "Boîte de réception des callbacks",
                "Verrous d\u2019idempotence",
                "Jeton (masqué)",
            ],
        ),
    ],
)
def test_every_page_renders_in_english_and_french(
    staff: Any, language: str, words: list[str]
) -> None:
    _payment("order-1")
    entry = _entry(_callback_body())
    _claim()
    client = _client(staff, language)
    index = _html(client, "/admin/ligdicash/")
    pages = [index]
    for model, key in PAGES.items():
        pages.append(_html(client, f"/admin/ligdicash/{model}/"))
        pages.append(_html(client, f"/admin/ligdicash/{model}/{key or entry.digest}/change/"))
    whole = "\n".join(pages)
    for word in words:
        assert word in whole, f"{word!r} missing from the {language} pages"
    assert f'lang="{language}"' in index


def test_the_amount_is_grouped_the_way_the_language_writes_it(staff: Any) -> None:
    _payment("order-1")
    assert "31,500" in _html(_client(staff, "en"), "/admin/ligdicash/trackedpayment/")
    assert "31\xa0500" in _html(_client(staff, "fr"), "/admin/ligdicash/trackedpayment/")


def test_tokens_phone_numbers_and_hashes_never_reach_the_html(staff: Any) -> None:
    _payment("order-1")
    documented = json_body("payin_callback")
    entries = [_entry(_callback_body()), _entry(documented, outcome="gave_up:failed:x")]
    client = _client(staff)
    pages = [
        _html(client, "/admin/ligdicash/trackedpayment/"),
        _html(client, "/admin/ligdicash/trackedpayment/order-1/change/"),
        _html(client, "/admin/ligdicash/inboxmessage/"),
    ]
    pages += [_html(client, f"/admin/ligdicash/inboxmessage/{e.digest}/change/") for e in entries]
    whole = "\n".join(pages)
    documented_phone = json.loads(documented)["customer"]
    documented_hash = json.loads(documented)["custom_data"][1]["valueof_customdata"]
    email = json.loads(documented)["customer_details"]["email"]
    secrets = (
        TOKEN,
        TOKEN[4:-4],
        "SECRETPART",
        PHONE,
        HASH,
        documented_phone,
        documented_hash,
        email,
    )
    for secret in secrets:
        assert secret not in whole
    assert "TOKN…zyxW" in whole  # the masked token, in the list and the body
    assert "226*****456" in whole  # the masked number, in the decoded body
    assert "ART5A7044E5" in whole  # the body is shown, decoded: its order id is there


def test_a_body_the_sdk_cannot_read_is_not_shown(staff: Any) -> None:
    body = b"customer=" + PHONE.encode() + b"&garbage"
    entry = _entry(body, state="pending", outcome="")
    html = _html(_client(staff), f"/admin/ligdicash/inboxmessage/{entry.digest}/change/")
    assert PHONE not in html
    assert f"{len(body)} bytes, not shown" in html


def test_filters_and_search_narrow_the_lists(staff: Any) -> None:
    _payment("order-1")
    _payment("order-2", status="completed")
    _payment("refund-3", kind="client_payout")
    client = _client(staff)
    base = "/admin/ligdicash/trackedpayment/"
    completed = _html(client, base + "?status=completed")
    assert "order-2" in completed
    assert "order-1" not in completed
    payouts = _html(client, base + "?kind=client_payout")
    assert "refund-3" in payouts
    assert "order-1" not in payouts
    found = _html(client, base + "?q=order-")
    assert "order-1" in found
    assert "order-2" in found
    assert "refund-3" not in found
    waiting = _entry(_callback_body("order-9"), state="pending", outcome="")
    handled = _entry(_callback_body("order-8"))
    inbox = "/admin/ligdicash/inboxmessage/"
    pending = _html(client, inbox + "?state=pending")
    assert waiting.digest in pending
    assert handled.digest not in pending
    by_digest = _html(client, inbox + "?q=" + handled.digest[:10].upper())
    assert handled.digest in by_digest
    assert waiting.digest not in by_digest


def test_a_list_page_never_reads_the_whole_table_for_its_filters(staff: Any) -> None:
    # Django's default filters list their choices with SELECT DISTINCT over the whole table
    # on every page; the admin's are the SDK's declared values.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _payment("order-1", status="in_doubt")
    client = _client(staff)
    for url in ("trackedpayment/", "inboxmessage/", "idempotencykey/"):
        with CaptureQueriesContext(connection) as queries:
            html = _html(client, "/admin/ligdicash/" + url)
        assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
        if url == "trackedpayment/":
            assert "?status=in_doubt" in html
            assert "?kind=merchant_payout" in html


def test_nobody_adds_edits_or_deletes_rows_by_hand(operator: Any) -> None:
    from django.contrib.auth.models import User

    _payment("order-1")
    superuser = User.objects.create_superuser("root", password="root-tests-only")
    for user in (operator, superuser):
        client = _client(user)
        for model, key in PAGES.items():
            if key is None:
                continue
            assert client.get(f"/admin/ligdicash/{model}/add/").status_code == 403
            assert client.get(f"/admin/ligdicash/{model}/{key}/delete/").status_code == 403
        changed = client.post(
            "/admin/ligdicash/trackedpayment/order-1/change/", {"status": "completed"}
        )
        assert changed.status_code == 403
        listing = _html(client, "/admin/ligdicash/trackedpayment/")
        assert "delete_selected" not in listing
    assert TrackedPayment.objects.get(reference="order-1").status == "pending"


def test_the_actions_are_offered_only_with_their_own_permission(staff: Any, operator: Any) -> None:
    _payment("order-1")
    _entry(_callback_body(), outcome="gave_up:failed:status_call_error")
    viewer, allowed = _client(staff), _client(operator)
    assert "reconcile_now" not in _html(viewer, "/admin/ligdicash/trackedpayment/")
    assert "reconcile_now" in _html(allowed, "/admin/ligdicash/trackedpayment/")
    assert 'value="retry"' not in _html(viewer, "/admin/ligdicash/inboxmessage/")
    assert 'value="retry"' in _html(allowed, "/admin/ligdicash/inboxmessage/")
    # Posting the action by hand changes nothing either.
    _action(viewer, "trackedpayment", "reconcile_now", ["order-1"])
    assert TrackedPayment.objects.get(reference="order-1").next_poll_at > time.time() + 60
    assert not LogEntry.objects.exists()


def test_reconcile_now_makes_pending_payments_due_and_refuses_settled_ones(
    operator: Any,
) -> None:
    _payment("order-1")
    _payment("order-2", status="completed", next_poll_at=0.0)
    before = time.time()
    response = _action(_client(operator), "trackedpayment", "reconcile_now", ["order-1", "order-2"])
    html = response.content.decode()
    assert "1 payment is due now" in html
    assert "Payment order-2 is settled (completed): nothing to reconcile" in html
    due = TrackedPayment.objects.get(reference="order-1")
    assert before <= due.next_poll_at <= time.time()
    assert TrackedPayment.objects.get(reference="order-2").next_poll_at == 0.0
    log = LogEntry.objects.get()
    assert (log.object_id, log.user_id) == ("order-1", operator.pk)
    assert "Reconcile now" in log.get_change_message()


def test_reconcile_now_speaks_french(operator: Any) -> None:
    _payment("order-2", status="completed")
    html = _action(_client(operator, "fr"), "trackedpayment", "reconcile_now", ["order-2"])
    assert "Le paiement order-2 est réglé (completed)" in html.content.decode()


def test_retry_reopens_what_gave_up_and_refuses_what_was_handled(operator: Any) -> None:
    gave_up = _entry(_callback_body("order-1"), outcome="gave_up:failed:status_call_error")
    handled = _entry(_callback_body("order-2"), outcome="processed")
    held = _entry(
        _callback_body("order-3"),
        state="processing",
        outcome="",
        owner="w1",
        lease_until=time.time() + 3600,
    )
    response = _action(
        _client(operator), "inboxmessage", "retry", [gave_up.digest, handled.digest, held.digest]
    )
    html = response.content.decode()
    assert "1 callback waits for the sweeper" in html
    assert f"Callback {handled.digest[:12]} not retried: it was handled (processed)" in html
    assert f"Callback {held.digest[:12]} not retried: a worker is processing it right now" in html
    reopened = InboxMessage.objects.get(digest=gave_up.digest)
    assert (reopened.state, reopened.lease_until, reopened.attempts) == ("pending", 0.0, 5)
    assert InboxMessage.objects.get(digest=handled.digest).state == "done"
    assert InboxMessage.objects.get(digest=held.digest).owner == "w1"
    log = LogEntry.objects.get()
    assert log.object_id == gave_up.digest
    assert "gave_up:failed:status_call_error" in log.get_change_message()


def test_retry_takes_an_entry_whose_worker_died(operator: Any) -> None:
    orphan = _entry(
        _callback_body("order-4"),
        state="processing",
        outcome="",
        owner="dead",
        lease_until=time.time() - 5,
    )
    html = _action(_client(operator), "inboxmessage", "retry", [orphan.digest]).content.decode()
    assert "1 callback waits for the sweeper" in html
    assert LogEntry.objects.filter(object_id=orphan.digest).count() == 1


def test_the_idempotency_claims_are_a_list_without_actions(operator: Any) -> None:
    _claim()
    html = _html(_client(operator), "/admin/ligdicash/idempotencykey/")
    assert "event:order-1:completed" in html
    assert 'name="action"' not in html


def test_the_french_catalog_is_compiled_from_its_source() -> None:
    # A .mo older than its .po would show English to French users: every entry of the
    # source must come out of the compiled file.
    import gettext
    from pathlib import Path

    from babel.messages.pofile import read_po

    import ligdicash.contrib.django as app

    folder = Path(app.__file__).parent / "locale" / "fr" / "LC_MESSAGES"
    with (folder / "django.po").open("rb") as handle:
        catalog = read_po(handle)
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = [m for m in catalog if m.id]
    assert entries
    for message in entries:
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
            assert compiled.ngettext(message.id[0], message.id[1], 2) == message.string[1]
        else:
            assert message.string, f"no French for {message.id!r}"
            assert compiled.gettext(message.id) == message.string


def lookup_nothing(callback: Any) -> None:
    """A shop that knows no order: the callback is refused (no status call)."""
    return None


def test_retry_hands_the_callbacks_to_the_view_s_processor_when_it_is_configured(
    operator: Any,
) -> None:
    import threading

    from django.test import override_settings

    from ligdicash.contrib.django import callback_processed

    gave_up = _entry(_callback_body("order-7"), outcome="gave_up:failed:status_call_error")
    outcomes: list[str] = []
    processed = threading.Event()

    def note(result: Any, **kwargs: Any) -> None:
        outcomes.append(result.outcome)
        processed.set()

    callback_processed.connect(note, weak=False)
    settings = {
        "LIGDICASH_CALLBACK_LOOKUP": f"{__name__}.lookup_nothing",
        "LIGDICASH_API_KEY": "admin-tests-key",
        "LIGDICASH_AUTH_TOKEN": "admin-tests-token",
        "LIGDICASH_CALLBACK_SWEEP_INTERVAL": None,  # only the action may process it
    }
    try:
        with override_settings(**settings):
            response = _action(_client(operator), "inboxmessage", "retry", [gave_up.digest])
            assert "1 callback handed to the processor now" in response.content.decode()
            assert processed.wait(30), "the processor never took the retried entry"
    finally:
        callback_processed.disconnect(note)
    # Its thread leased it, found no order (refused: on_result comes after the inbox's
    # last write) and discarded it.
    assert outcomes == ["refused"]
    assert not InboxMessage.objects.filter(digest=gave_up.digest).exists()
    assert LogEntry.objects.filter(object_id=gave_up.digest).count() == 1
