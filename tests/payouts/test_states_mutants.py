"""The state machine's refusals and the recorded error text, pinned where mutation testing
(``scripts/mutation.sh states``) found nothing would notice a change."""

from __future__ import annotations

import pytest

from ligdicash import CustomerDoesNotExistError, RequestRefusedError, TransactionAlreadyExistError
from ligdicash.payouts import STATUSES, LedgerStateError, classify_error
from ligdicash.payouts._states import check_transition


@pytest.mark.parametrize("current", ["", "paid", "SENT", "unknown"])
def test_a_status_the_ledger_does_not_know_is_a_refused_move_not_a_crash(current: str) -> None:
    # e.g. a row edited by hand, or written by a newer version: a LedgerStateError (one
    # line for the operator), never a TypeError out of the state table.
    with pytest.raises(LedgerStateError):
        check_transition(current, "sent")


def test_a_refused_move_names_both_statuses() -> None:
    with pytest.raises(LedgerStateError) as caught:
        check_transition("in_doubt", "sending")
    assert "'in_doubt'" in str(caught.value)
    assert "'sending'" in str(caught.value)


def test_every_known_status_has_its_moves() -> None:
    # The final statuses accept no move at all; the others at least one.
    for status in STATUSES:
        with pytest.raises(LedgerStateError):
            check_transition(status, status)


@pytest.mark.parametrize(
    "error",
    [
        RequestRefusedError(response_text="Echec (Code99) " + "x" * 600),
        RequestRefusedError(response_text="Echec (Code99)", response_text_details="y" * 600),
        TransactionAlreadyExistError(response_text="z" * 600),
        CustomerDoesNotExistError("w" * 600),
    ],
)
def test_the_recorded_error_text_is_cut_at_500_characters(error: Exception) -> None:
    # What the ledger keeps of a server's (or anyone's) text is bounded: exactly 500.
    message = classify_error(error).message
    assert len(message) == 500
    assert message.startswith(type(error).__name__)


def test_a_short_error_text_is_kept_whole() -> None:
    error = RequestRefusedError(response_text="Echec (Code02)", response_text_details="why")
    assert classify_error(error).message == "RequestRefusedError (Echec (Code02)): why"
