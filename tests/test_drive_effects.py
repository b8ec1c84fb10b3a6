"""The one effect vocabulary (Call, Blocking, Sleep) and where perform/aperform run each."""

from __future__ import annotations

import threading
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ligdicash._drive import Blocking, Call, Effect, Sleep, adrive, aperform, drive, perform


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def thread_name() -> str:
    return threading.current_thread().name


async def async_thread_name() -> str:
    return threading.current_thread().name


def test_perform_calls_in_the_calling_thread_with_the_arguments_given() -> None:
    assert perform(Call(divmod, 7, 2)) == (3, 1)
    assert perform(Blocking(thread_name)) == threading.current_thread().name
    assert perform(Sleep(0)) is None


def test_perform_refuses_an_async_callable_and_closes_its_coroutine() -> None:
    with pytest.raises(TypeError, match="async"):
        perform(Blocking(async_thread_name))


def test_the_generator_gets_each_outcome_and_each_error_at_its_yield() -> None:
    def flow() -> Generator[Effect, Any, list[Any]]:
        seen: list[Any] = [(yield Call(len, "abc"))]
        try:
            yield Blocking(int, "not a number")
        except ValueError as exc:
            seen.append(type(exc).__name__)
        return seen

    assert drive(flow()) == [3, "ValueError"]


@pytest.mark.anyio
async def test_aperform_runs_a_blocking_sync_call_off_the_loop_and_the_rest_on_it() -> None:
    here = threading.current_thread().name
    assert await aperform(Blocking(thread_name)) != here
    assert await aperform(Call(thread_name)) == here
    # An async callable is awaited on the loop, Blocking or not.
    assert await aperform(Blocking(async_thread_name)) == here
    assert await aperform(Call(async_thread_name)) == here


@pytest.mark.anyio
async def test_aperform_runs_blocking_calls_in_the_executor_it_is_given() -> None:
    with ThreadPoolExecutor(1, thread_name_prefix="ledger-threads") as pool:
        name = await aperform(Blocking(thread_name), executor=pool)
    assert name.startswith("ledger-threads")


@pytest.mark.anyio
async def test_adrive_performs_with_aperform_by_default() -> None:
    def flow() -> Generator[Effect, Any, tuple[Any, Any]]:
        first = yield Blocking(async_thread_name)
        yield Sleep(0)
        second = yield Blocking(thread_name)
        return first, second

    on_loop, in_thread = await adrive(flow())
    assert on_loop == threading.current_thread().name
    assert in_thread != on_loop
