"""Which errors fail an item, stop the batch, retry, or leave the item in doubt."""

from __future__ import annotations

import pytest

from ligdicash import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    CustomerDoesNotExistError,
    InvalidRequestError,
    InvalidResponseError,
    IpDeniedError,
    MerchantBalanceLowError,
    MerchantPayoutDisabledError,
    SendingError,
    ServerError,
    TransactionAlreadyExistError,
)
from ligdicash.payouts import Fate, classify_error


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError(),
        IpDeniedError(),
        MerchantPayoutDisabledError(),
        MerchantBalanceLowError(),
    ],
)
def test_refusals_about_the_account_stop_the_batch(error: Exception) -> None:
    assert classify_error(error).fate is Fate.STOP


@pytest.mark.parametrize("error", [CustomerDoesNotExistError(), InvalidRequestError("bad phone")])
def test_refusals_about_the_item_fail_the_item(error: Exception) -> None:
    assert classify_error(error).fate is Fate.FAILED


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError(request_may_have_been_sent=True),
        APITimeoutError(request_may_have_been_sent=True),
        ServerError(http_status=502),
        InvalidResponseError(),
        TransactionAlreadyExistError(),
        SendingError(),
        RuntimeError("a bug"),
    ],
)
def test_anything_that_may_have_landed_is_in_doubt(error: Exception) -> None:
    assert classify_error(error).fate is Fate.IN_DOUBT


def test_an_error_that_says_nothing_left_is_retried() -> None:
    assert classify_error(APIConnectionError(request_may_have_been_sent=False)).fate is Fate.RETRY


def test_an_answer_means_the_request_arrived_whatever_its_flag_says() -> None:
    # An HTTP status or an unreadable answer came from LigdiCash: never resent, even when
    # the error was built without request_may_have_been_sent (it defaults to False).
    answered = (
        ServerError(http_status=500),
        InvalidResponseError(),
        APIStatusError(http_status=409),
    )
    for error in answered:
        assert not error.request_may_have_been_sent
        assert classify_error(error).fate is Fate.IN_DOUBT


def test_the_recorded_message_of_a_foreign_error_is_only_its_class() -> None:
    outcome = classify_error(RuntimeError("api_key=SECRET"))
    assert "SECRET" not in outcome.message


@pytest.mark.parametrize(
    ("error", "fate", "code", "message"),
    [
        (
            ConfigurationError("no api_key"),
            Fate.STOP,
            "configuration",
            "ConfigurationError: no api_key",
        ),
        (ClientClosedError(), Fate.STOP, "client_closed", None),
        (
            MerchantBalanceLowError(response_text="Echec (Code04)", response_text_details="low"),
            Fate.STOP,
            "refused",
            "MerchantBalanceLowError (Echec (Code04)): low",
        ),
        (
            CustomerDoesNotExistError(response_text="Echec (Code02)"),
            Fate.FAILED,
            "refused",
            "CustomerDoesNotExistError (Echec (Code02))",
        ),
        (InvalidRequestError("bad phone"), Fate.FAILED, "invalid_request", None),
        (TransactionAlreadyExistError(), Fate.IN_DOUBT, "refused", None),
        (APIConnectionError(request_may_have_been_sent=False), Fate.RETRY, "connection", None),
        (ServerError(http_status=502), Fate.IN_DOUBT, "http_502", "ServerError: LigdiCash error"),
        (RuntimeError("a bug"), Fate.IN_DOUBT, "RuntimeError", "RuntimeError"),
    ],
)
def test_each_fate_records_the_errors_code_and_message(
    error: Exception, fate: Fate, code: str, message: str | None
) -> None:
    outcome = classify_error(error)
    expected = message or f"{type(error).__name__}: {error.message}"  # type: ignore[attr-defined]
    assert (outcome.fate, outcome.code, outcome.message) == (fate, code, expected)
