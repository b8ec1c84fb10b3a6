"""httpx's own INFO log line names every status URL: the SDK can keep its tokens short."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import ligdicash
from fake_ligdicash import LONG_TOKEN, FakeLigdicash


@pytest.fixture
def httpx_filter_removed() -> Iterator[None]:
    yield
    logger = logging.getLogger("httpx")
    for installed in list(logger.filters):
        logger.removeFilter(installed)


def status_call(fake: FakeLigdicash) -> None:
    with ligdicash.Client(
        api_key=fake.api_key, auth_token=fake.auth_token, base_url=fake.base_url
    ) as client:
        client.get_transaction(LONG_TOKEN)


def httpx_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "httpx"]


def test_without_the_filter_httpx_logs_the_whole_token(
    fake: FakeLigdicash, caplog: pytest.LogCaptureFixture
) -> None:
    """The documented hazard (README, "Logging and privacy"), kept visible."""
    with caplog.at_level(logging.INFO, logger="httpx"):
        status_call(fake)
    assert any(LONG_TOKEN in line for line in httpx_lines(caplog))


def test_redact_httpx_logs_shortens_tokens_in_httpx_info_lines(
    fake: FakeLigdicash, caplog: pytest.LogCaptureFixture, httpx_filter_removed: None
) -> None:
    installed = ligdicash.redact_httpx_logs()
    assert ligdicash.redact_httpx_logs() is installed  # installed once
    with caplog.at_level(logging.INFO, logger="httpx"):
        status_call(fake)
    lines = httpx_lines(caplog)
    assert len(lines) == 1
    assert LONG_TOKEN not in lines[0]
    assert f"invoiceToken={LONG_TOKEN[:20]}..." in lines[0]
    assert '"HTTP/1.1 200 OK"' in lines[0]
    assert logging.getLogger("httpx").filters == [installed]


def test_the_filter_leaves_other_records_alone() -> None:
    installed = ligdicash.redact_httpx_logs("ligdicash.test-filter")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent %s", ("POST x",), None)
    assert installed.filter(record)
    assert (record.msg, record.args) == ("sent %s", ("POST x",))
    logging.getLogger("ligdicash.test-filter").removeFilter(installed)
