"""Settlement callbacks: twice (form + JSON), concurrently, hashed, retried, logged, steerable."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

import httpx
import pytest
from sandbox_helpers import create, direct_body, payin_body, wait_until

from ligdicash.sandbox import (
    CallbackReceiver,
    ReceivedCallback,
    Sandbox,
    SandboxConfig,
    SandboxError,
)

HOSTED = "redirect/checkout-invoice/create"
DIRECT = "straight/checkout-invoice/create"


def _hosted(api: httpx.Client, rx: CallbackReceiver, **custom: Any) -> str:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = rx.callback_url
    body["commande"]["custom_data"].update(custom)
    token: str = create(api, HOSTED, body)["token"]
    return token


def test_a_final_status_is_posted_twice_form_encoded_and_as_json(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)
    sb.set_status(token, "completed")

    calls = receiver.wait_for(2)
    by_type = {c.content_type: c for c in calls}
    form = by_type["application/x-www-form-urlencoded"]
    as_json = by_type["application/json"]
    assert form.fields["custom_data[transaction_id]"] == "ORD-20240512"
    assert json.loads(as_json.body)["custom_data"][0]["valueof_customdata"] == "ORD-20240512"
    for call in (form, as_json):
        assert call.fields["status"] == "completed"
        assert call.fields["response_code"] == "00"
        assert call.fields["montant"] == "31500.00"
        for key in ("amount", "operator_id", "operator_name", "customer", "external_id",
                    "transaction_id", "request_id", "date", "response_text"):  # fmt: skip
            assert key in call.fields


def test_the_callback_token_differs_from_the_creation_token_and_the_hash_is_valid(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)
    sb.set_status(token, "nocompleted")

    for call in receiver.wait_for(2):
        callback_token = call.fields["token"]
        assert callback_token != token
        assert len(callback_token.split(".")) == 3
        expected = hashlib.sha256(
            (sb.api_key + callback_token + sb.auth_token).encode()
        ).hexdigest()
        assert call.fields["hash"] == expected
        assert call.fields["status"] == "nocompleted"


def test_both_deliveries_are_in_flight_at_the_same_time(sb: Sandbox, api: httpx.Client) -> None:
    barrier = threading.Barrier(2, timeout=3)
    met: list[bool] = []

    def hold(_: ReceivedCallback) -> None:
        try:
            barrier.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)

    with CallbackReceiver(on_callback=hold) as rx:
        sb.set_status(_hosted(api, rx), "completed")
        rx.wait_for(2)

    assert met == [True, True]


def test_a_failing_receiver_is_retried_with_backoff_and_logged(
    sb: Sandbox, api: httpx.Client
) -> None:
    with CallbackReceiver(fail_with=[500, 503]) as rx:
        token = _hosted(api, rx)
        sb.set_status(token, "completed")
        rx.wait_for(2)
        log = sb.wait_for_callbacks(2, token=token)

    attempts = sb.callbacks(token)
    assert len(attempts) == 4
    failed = [a for a in attempts if not a["delivered"]]
    assert sorted(a["response_status"] for a in failed) == [500, 503]
    assert all(a["error"].startswith("HTTP 5") for a in failed)
    assert [a["attempt"] for a in log] == [2, 2]  # each first attempt failed once


def test_delivery_gives_up_after_the_configured_attempts(sb: Sandbox, api: httpx.Client) -> None:
    with CallbackReceiver(fail_with=[500] * 10) as rx:
        token = _hosted(api, rx)
        sb.set_status(token, "completed")
        attempts = sb.wait_for_callbacks(6, token=token, delivered=False)
        time.sleep(0.3)  # several backoff periods: a 7th attempt would show up by now

    assert len(sb.callbacks(token)) == 6 == len(attempts)
    assert sorted(a["attempt"] for a in attempts) == [1, 1, 2, 2, 3, 3]
    assert rx.received == []


def test_an_unreachable_receiver_is_logged_with_the_connection_error(
    sb: Sandbox, api: httpx.Client
) -> None:
    body = payin_body()
    body["commande"]["actions"]["callback_url"] = "http://127.0.0.1:9/unreachable"
    token = create(api, HOSTED, body)["token"]
    sb.set_status(token, "completed")

    attempts = sb.wait_for_callbacks(6, token=token, delivered=False)

    assert all(a["response_status"] is None and "Connect" in a["error"] for a in attempts)
    assert {a["url"] for a in attempts} == {"http://127.0.0.1:9/unreachable"}


def test_the_delivery_log_shows_url_content_type_body_status_and_attempt(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)
    sb.set_status(token, "completed")

    log = sb.wait_for_callbacks(2, token=token)

    assert {e["content_type"] for e in log} == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    for entry in log:
        assert entry["url"] == receiver.callback_url
        assert entry["response_status"] == 200
        assert entry["attempt"] == 1
        assert entry["error"] is None
        assert "completed" in entry["body"]


def test_a_pending_status_sends_no_callback(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)
    sb.set_status(token, "completed")
    receiver.wait_for(2)

    sb.set_status(token, "pending")
    sb.set_status(token, "nocompleted")

    assert [c.fields["status"] for c in receiver.wait_for(4)][2:] == ["nocompleted"] * 2


def test_callback_mode_none_in_custom_data_suppresses_callbacks(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    silent = _hosted(api, receiver, sandbox_callback="none")
    loud = _hosted(api, receiver)
    sb.set_status(silent, "completed")
    sb.set_status(loud, "completed")

    receiver.wait_for(2)
    sb.wait_for_callbacks(2)

    assert sb.callbacks(silent) == []
    assert len(sb.callbacks(loud)) == 2


def test_callback_mode_delay_holds_the_callbacks_back(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver, sandbox_callback="delay:300")
    started = time.monotonic()
    sb.set_status(token, "completed")

    calls = receiver.wait_for(2)

    assert min(c.at for c in calls) - started >= 0.3


def test_the_callback_mode_can_be_changed_through_the_control_api(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)

    assert sb.set_mode(token, callback="none")["callback_mode"] == "none"
    sb.set_status(token, "completed")
    sb.set_mode(token, callback="normal")
    sb.set_status(token, "nocompleted")

    calls = receiver.wait_for(2)
    assert {c.fields["status"] for c in calls} == {"nocompleted"}


def test_an_unknown_callback_mode_is_refused(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver)
    with pytest.raises(SandboxError, match="unknown callback mode"):
        sb.set_mode(token, callback="sometimes")


def test_pending_forever_keeps_an_otp_payin_pending_until_the_control_api_settles_it(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    body = direct_body("22670123456", "123456", receiver.callback_url, sandbox_pending_forever="1")
    token = create(api, DIRECT, body)["token"]
    time.sleep(0.1)  # instant settlement would have happened by now
    assert sb.transaction(token)["status"] == "pending"

    sb.set_status(token, "completed")

    assert {c.fields["status"] for c in receiver.wait_for(2)} == {"completed"}


def test_clearing_pending_forever_through_the_control_api_lets_it_settle(
    sb: Sandbox, api: httpx.Client
) -> None:
    body = direct_body("22670123456", "123456", sandbox_pending_forever="yes")
    token = create(api, DIRECT, body)["token"]
    assert sb.transaction(token)["pending_forever"] is True

    sb.set_mode(token, pending_forever=False)

    wait_until(lambda: sb.transaction(token)["status"] == "completed")


def test_a_reset_drops_callbacks_still_waiting(
    sb: Sandbox, api: httpx.Client, receiver: CallbackReceiver
) -> None:
    token = _hosted(api, receiver, sandbox_callback="delay:200")
    sb.set_status(token, "completed")
    sb.reset()
    time.sleep(0.4)  # past the delay: a surviving delivery would have arrived
    assert receiver.received == []
    assert sb.callbacks() == []


@pytest.mark.parametrize("attempts", [1, 2])
def test_the_number_of_attempts_is_configurable(make_sandbox: Any, attempts: int) -> None:
    sandbox = make_sandbox(SandboxConfig.fast(callback_attempts=attempts, callback_backoff=0.01))
    with httpx.Client(base_url=sandbox.base_url, headers=sandbox.auth_headers) as client:
        body = payin_body()
        body["commande"]["actions"]["callback_url"] = "http://127.0.0.1:9/"
        token = create(client, HOSTED, body)["token"]
        sandbox.set_status(token, "completed")
        log = sandbox.wait_for_callbacks(2 * attempts, token=token, delivered=False)
    assert max(e["attempt"] for e in log) == attempts
