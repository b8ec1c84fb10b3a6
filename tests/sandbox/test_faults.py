"""Fault injection, observed at the raw HTTP (and TCP) level."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sandbox_helpers import create, payin_body

from ligdicash.sandbox import Sandbox, SandboxError

CONFIRM = "redirect/checkout-invoice/confirm/"


def _status(api: httpx.Client, token: str = "unknown") -> httpx.Response:
    return api.get(CONFIRM, params={"invoiceToken": token})


def _raw_exchange(sb: Sandbox, request: bytes) -> bytes:
    parts = urlsplit(sb.url)
    received = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(request)
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def _raw_confirm(sb: Sandbox) -> bytes:
    parts = urlsplit(sb.url)
    request = (
        f"GET /pay/v01/{CONFIRM}?invoiceToken=x HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Apikey: {sb.api_key}\r\nAuthorization: Bearer {sb.auth_token}\r\n"
        "Connection: close\r\n\r\n"
    )
    return _raw_exchange(sb, request.encode())


def test_drop_closes_the_connection_without_sending_a_single_byte(sb: Sandbox) -> None:
    assert _raw_confirm(sb).startswith(b"HTTP/1.1 200")
    sb.add_fault("drop")

    assert _raw_confirm(sb) == b""
    assert _raw_confirm(sb).startswith(b"HTTP/1.1 200")


def test_drop_on_a_create_call_reads_like_a_server_disconnect(
    sb: Sandbox, api: httpx.Client
) -> None:
    sb.add_fault("drop", path="checkout-invoice/create")
    # An aborted socket reaches the client as EOF or as a reset, depending on whether the
    # kernel still held unread request bytes: both are a disconnect with no answer.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("redirect/checkout-invoice/create", json=payin_body())
    assert sb.transactions() == []


def test_http_500_answers_a_server_error_and_does_nothing(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_500")
    response = api.post("redirect/checkout-invoice/create", json=payin_body())
    assert response.status_code == 500
    assert sb.transactions() == []


def test_http_502_html_answers_an_nginx_bad_gateway_page(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_502_html")
    response = _status(api)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text


def test_http_429_answers_too_many_requests_with_retry_after(
    sb: Sandbox, api: httpx.Client
) -> None:
    sb.add_fault("http_429")
    response = _status(api)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


def test_not_json_answers_200_with_an_html_page(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("not_json")
    response = _status(api)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        json.loads(response.text)


def test_truncated_json_answers_200_with_the_first_half_of_the_real_answer(
    sb: Sandbox, api: httpx.Client
) -> None:
    token = create(api, "redirect/checkout-invoice/create", payin_body())["token"]
    full = _status(api, token).content
    sb.add_fault("truncated_json")

    response = _status(api, token)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert full.startswith(response.content)
    assert len(response.content) < len(full)
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_latency_delays_the_answer_by_the_requested_time(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("latency", latency_ms=300)
    started = time.monotonic()
    response = _status(api)
    assert time.monotonic() - started >= 0.3
    assert response.json()["response_text"] == "Echec (Code02)"


def test_a_fault_hits_exactly_count_requests(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_500", count=2)
    codes = [_status(api).status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert sb.faults() == []


def test_a_fault_with_a_path_only_hits_matching_requests(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_500", path="withdrawal/")
    assert _status(api).status_code == 200
    assert api.get("withdrawal/confirm/", params={"withdrawalToken": "x"}).status_code == 500


def test_faults_never_touch_the_control_api_or_the_page(sb: Sandbox) -> None:
    sb.add_fault("http_500", count=5)
    assert len(sb.transactions()) == 0
    assert httpx.get(sb.url + "/pay/invoice/x").status_code == 404
    assert sb.faults()[0]["remaining"] == 5


def test_faults_can_be_cleared(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("http_500")
    sb.clear_faults()
    assert _status(api).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [{"kind": "meteor"}, {"kind": "http_500", "count": 0}, {"kind": "latency", "latency_ms": -1}],
)
def test_an_invalid_fault_is_refused(sb: Sandbox, fault: dict[str, Any]) -> None:
    with pytest.raises(SandboxError):
        sb.add_fault(**fault)
