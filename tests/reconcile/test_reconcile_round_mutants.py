"""The reconciler's ``--schedule`` text, read in-process (the commands' tests run them in
child processes, where mutation testing, ``scripts/mutation.sh reconcile_round``, cannot
see the parser)."""

from __future__ import annotations

import pytest

from ligdicash._reconcile_round import parse_schedule


@pytest.mark.parametrize(
    ("text", "gaps"),
    [
        ("60,300,1800", (60.0, 300.0, 1800.0)),
        (" 60 , 300 ", (60.0, 300.0)),
        ("60,,300,", (60.0, 300.0)),  # empty parts are skipped
        ("2.5", (2.5,)),
    ],
)
def test_a_schedule_is_read_as_seconds(text: str, gaps: tuple[float, ...]) -> None:
    assert parse_schedule(text) == gaps


@pytest.mark.parametrize("text", ["", " , ", "soon", "60,soon", "60;300"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_schedule(text)
    assert str(caught.value) == (
        f"{text!r} is not a comma-separated list of seconds, e.g. 60,300,1800"
    )
