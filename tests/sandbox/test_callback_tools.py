"""The sandbox for people testing their callbacks: redelivery, a readable dashboard, a payment
page without empty headings, typed callback modes, and bodies refused while they arrive."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sandbox_helpers import create, direct_body, payin_body, wait_until

from ligdicash._callbacks import callback_hash
from ligdicash.sandbox import CallbackReceiver, Sandbox, SandboxError

HOSTED = "redirect/checkout-invoice/create"
DIRECT = "straight/checkout-invoice/create"
LIMIT = 1_000_000


def _completed(sb: Sandbox, api: httpx.Client, rx: CallbackReceiver, **custom: Any) -> str:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = rx.callback_url
    body["commande"]["custom_data"].update(custom)
    token: str = create(api, HOSTED, body)["token"]
    sb.set_status(token, "completed")
    return token


def test_redeliver_sends_both_callbacks_again_with_the_same_token_and_hash(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _completed(sb, api, receiver)
    first = receiver.wait_for(2)

    record = sb.redeliver(token)

    assert record["status"] == "completed"
    calls = receiver.wait_for(4)
    again = calls[2:]
    assert {c.content_type.split(";")[0] for c in again} == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert {c.fields["token"] for c in again} == {first[0].fields["token"]}
    expected = callback_hash(sb.api_key, str(first[0].fields["token"]), sb.auth_token)
    assert {c.fields["hash"] for c in calls} == {expected}
    assert len(sb.wait_for_callbacks(4, token=token)) == 4


def test_redeliver_ignores_callback_mode_none(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _completed(sb, api, receiver, sandbox_callback="none")
    assert sb.callbacks(token) == []
    sb.redeliver(token)
    assert len(receiver.wait_for(2)) == 2


def test_redeliver_refuses_pending_unknown_and_callback_less_transactions(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = receiver.callback_url
    pending = create(api, HOSTED, body)["token"]
    silent = create(api, HOSTED, payin_body())["token"]
    sb.set_status(silent, "completed")

    with pytest.raises(SandboxError, match="completed or nocompleted"):
        sb.redeliver(pending)
    with pytest.raises(SandboxError, match="no callback_url"):
        sb.redeliver(silent)
    with pytest.raises(SandboxError, match="not found"):
        sb.redeliver("unknown")
    raw = httpx.post(f"{sb.url}/_sandbox/transactions/{pending}/callbacks", json={})
    assert raw.status_code == 409
    assert receiver.received == []


def test_the_dashboard_shows_order_ids_custom_data_links_and_newest_first(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    older = _completed(sb, api, receiver, transaction_id="ORD-OLDER", basket="b-1")
    receiver.wait_for(2)
    body = payin_body(total_amount=1_000_000)
    body["commande"]["custom_data"] = {"transaction_id": "ORD-NEWER"}
    body["commande"]["actions"]["callback_url"] = receiver.callback_url
    newer = create(api, HOSTED, body)["token"]
    sb.set_status(newer, "nocompleted")
    receiver.wait_for(4)
    # The receiver answers before the sandbox writes its log row: wait on the log itself.
    for token in (older, newer):
        sb.wait_for_callbacks(2, timeout=30, token=token)

    html = httpx.get(sb.url + "/_sandbox/").text
    transactions, _, callbacks = html.partition("id=callbacks")

    assert "ORD-OLDER" in transactions
    assert "ORD-NEWER" in transactions
    assert "&quot;basket&quot;: &quot;b-1&quot;" in transactions
    assert f'href="/pay/invoice/{newer}"' in transactions
    assert "1,000,000" in transactions
    assert "31,500" in transactions
    assert "<b id=balance>10,031,500</b>" in html  # the balance, separated too
    assert transactions.index(newer) < transactions.index(older)
    # Newest first: a delivery of the newer payment precedes the older payment's first
    # attempt (rindex: under load the older one may have been retried after newer's).
    assert callbacks.index(newer[-8:]) < callbacks.rindex(older[-8:])
    assert f'action="/_sandbox/transactions/{newer}/callbacks"' in transactions


def test_the_payment_page_has_no_empty_heading_without_a_store_name(
    sb: Sandbox, api: httpx.Client
) -> None:
    body = payin_body()
    body["commande"]["store"]["name"] = ""
    page = httpx.get(create(api, HOSTED, body)["response_text"]).text
    assert "<h1" not in page
    assert "31,500" in page

    named = httpx.get(create(api, HOSTED, payin_body())["response_text"]).text
    assert "<h1 id=store>MySuperStore</h1>" in named


def test_callback_modes_are_parsed_once_into_a_typed_record(sb: Sandbox, api: httpx.Client) -> None:
    from ligdicash.sandbox._record import CallbackMode, Transaction

    token = create(api, DIRECT, direct_body("22670123456", "1", sandbox_callback="Delay:250"))[
        "token"
    ]
    record = sb.app.engine.store.get(token)
    assert isinstance(record, Transaction)
    assert record.callback_mode == CallbackMode("delay", 250)
    assert sb.transaction(token)["callback_mode"] == "delay:250"
    assert sb.transaction(token)["order_id"] == "ORD-DIRECT"


@pytest.mark.parametrize("mode", ["delay:99999999999999999999", "delay:-1", "later", "delay:"])
def test_an_unusable_callback_mode_is_refused_at_creation(
    sb: Sandbox, api: httpx.Client, mode: str
) -> None:
    answer = create(api, DIRECT, direct_body("22670123456", "1", sandbox_callback=mode))
    assert answer["response_text"] == "Echec (Code04)"
    assert sb.transactions() == []


def _raw(sb: Sandbox, head: str, chunks: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    parts = urlsplit(sb.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head.encode())
        for chunk in chunks:
            conn.sendall(chunk)
        received = b""
        try:
            while b"Payload Too Large" not in received:
                data = conn.recv(65536)
                if not data:
                    break
                received += data
        except ConnectionResetError:
            pass
    return received


@pytest.mark.parametrize(
    "path",
    ["/pay/v01/redirect/checkout-invoice/create", "/_sandbox/faults", "/pay/invoice/x"],
)
def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    sb: Sandbox, path: str
) -> None:
    netloc = urlsplit(sb.url).netloc
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\nApikey: {sb.api_key}\r\n"
        f"Authorization: Bearer {sb.auth_token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {LIMIT + 1}\r\n\r\n"
    )
    # Not a byte of body is sent: the answer must come from the headers alone.
    assert _raw(sb, head).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("path", ["/_sandbox/faults", "/_sandbox/balance", "page"])
def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    sb: Sandbox, api: httpx.Client, path: str
) -> None:
    content_type = "application/json"
    if path == "page":
        path = urlsplit(create(api, HOSTED, payin_body())["response_text"]).path
        content_type = "application/x-www-form-urlencoded"
    netloc = urlsplit(sb.url).netloc
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    count = LIMIT // len(piece) + 1  # just past the limit, and never the final 0-chunk
    assert _raw(sb, head, [chunk] * count).startswith(b"HTTP/1.1 413")
    wait_until(lambda: httpx.get(sb.url + "/_sandbox/health").status_code == 200)
