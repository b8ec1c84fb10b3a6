"""A sweeper never dies silently: a sweep that raises is logged at ERROR and the next runs."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import pytest

from ligdicash._stores import MemoryStore
from ligdicash.contrib import CallbackProcessor
from ligdicash.contrib._sweeper import Sweeper


def test_a_sweep_that_raises_is_logged_and_the_sweeper_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    processor = CallbackProcessor(lookup=lambda callback: None, handler=print, store=store)
    calls: list[str] = []
    done = threading.Event()

    def flaky(job: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            calls.append("sweep")
            if len(calls) <= 2:  # e.g. closing a broken database connection after a sweep
                raise RuntimeError("connection already closed")
            if len(calls) >= 4:
                done.set()
            return job()

        return run

    sweeper = Sweeper(processor, interval=0.02, wrap=flaky)
    with caplog.at_level(logging.ERROR, logger="ligdicash.callbacks"):
        sweeper.start()
        try:
            assert done.wait(10), calls
        finally:
            sweeper.stop(timeout=10)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all("sweep failed unexpectedly" in r.getMessage() for r in errors)
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in errors)
    store.close()
