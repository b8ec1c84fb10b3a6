"""Whether a request may have been sent is read from httpcore's trace, not from exceptions."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

import ligdicash
from ligdicash._evidence import SendEvidence
from sdk_helpers import documented_invoice


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://127.0.0.1:{port}/pay/v01/"


@pytest.mark.parametrize(
    ("events", "sent"),
    [
        ([], True),  # no trace at all: unknown, so it may have been sent
        (["connection.connect_tcp.started", "connection.connect_tcp.failed"], False),
        (["connection.connect_tcp.started", "connection.connect_tcp.complete",
          "http2.send_connection_init.started", "http2.send_connection_init.failed"], False),
        (["connection.connect_tcp.complete", "http11.send_request_headers.started"], True),
        (["http2.send_request_headers.started"], True),
        (["http2.send_request_body.started"], True),
    ],
)  # fmt: skip
def test_the_verdict_follows_the_events(events: list[str], sent: bool) -> None:
    extensions: dict[str, object] = {}
    evidence = SendEvidence(extensions, asynchronous=False)
    for name in events:
        evidence.trace(name, {})
    assert evidence.may_have_been_sent is sent


def test_the_callback_removes_itself_once_the_request_started() -> None:
    extensions: dict[str, object] = {}
    evidence = SendEvidence(extensions, asynchronous=True)
    assert extensions["trace"] == evidence.atrace
    asyncio.run(evidence.atrace("http11.send_request_headers.started", {}))
    assert "trace" not in extensions
    assert evidence.may_have_been_sent


def refused_attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum("ConnectError" in r.getMessage() for r in caplog.records if r.name == "ligdicash")


def test_a_refused_connection_is_retried_for_a_payment_sync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ligdicash.Client(
        api_key="k", auth_token="t", base_url=closed_port_url(), max_retries=2
    ) as client:
        invoice = documented_invoice(client.Invoice)
        with caplog.at_level(logging.DEBUG, logger="ligdicash"):
            with pytest.raises(ligdicash.APIConnectionError) as info:
                invoice.pay_with_redirection()
    assert info.value.request_may_have_been_sent is False
    assert "do not send" not in info.value.message
    assert refused_attempts(caplog) == 3


def test_a_refused_connection_is_retried_for_a_payment_async(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> ligdicash.LigdicashError:
        async with ligdicash.AsyncClient(
            api_key="k", auth_token="t", base_url=closed_port_url(), max_retries=2
        ) as client:
            withdrawal = client.Withdrawal("refund", 5000, "22670123456")
            with pytest.raises(ligdicash.APIConnectionError) as info:
                await withdrawal.send(type="merchant")
            return info.value

    with caplog.at_level(logging.DEBUG, logger="ligdicash"):
        error = asyncio.run(main())
    assert error.request_may_have_been_sent is False
    assert refused_attempts(caplog) == 3
