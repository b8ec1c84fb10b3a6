"""``Beat.stop()`` returns only once no renewal of that lease runs, and none starts after.

The flows stop a lease's beat, then may finish the entry and the caller close the store: a
renewal still running in the heartbeat thread would then work on a closed store (a
SQLite connection closed under a running statement crashed the interpreter once). The
renewals here are callables the test holds on events; no sleeps, only conditions.
"""

from __future__ import annotations

import threading

from ligdicash.contrib._heartbeat import Heartbeat

WAIT = 30.0


def test_stop_waits_for_the_renewal_in_flight_and_no_renewal_follows() -> None:
    heartbeat = Heartbeat()
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def renew() -> bool:
        calls.append("start")
        entered.set()
        assert release.wait(WAIT), "the test never released the renewal"
        calls.append("end")
        return True

    beat = heartbeat.keep(renew, 0.15)  # renewed every 0.05 s
    assert entered.wait(WAIT), "the heartbeat never renewed"
    stopped = threading.Event()

    def stop() -> None:
        beat.stop()
        stopped.set()

    stopper = threading.Thread(target=stop)
    stopper.start()
    try:
        # The renewal is held: stop() must still be waiting for it.
        assert not stopped.wait(0.5), "stop() returned while a renewal was running"
    finally:
        release.set()
        stopper.join(WAIT)
    assert stopped.is_set()
    assert calls[-1] == "end"
    after_stop = len(calls)

    # Let the thread go round several times (another lease's renewals count the rounds).
    ticks = threading.Semaphore(0)

    def other() -> bool:
        ticks.release()
        return True

    ticker = heartbeat.keep(other, 0.15)
    try:
        for _ in range(5):
            assert ticks.acquire(timeout=WAIT), "the heartbeat stopped going round"
    finally:
        ticker.stop()
    assert len(calls) == after_stop, "a stopped lease was renewed again"


def test_stop_from_inside_a_renewal_does_not_wait_for_itself() -> None:
    heartbeat = Heartbeat()
    done = threading.Event()
    beats: list[object] = []

    def renew() -> bool:
        beats[0].stop()  # type: ignore[attr-defined]
        done.set()
        return True

    beats.append(heartbeat.keep(renew, 0.15))
    assert done.wait(WAIT), "a renewal that stops its own beat hung the heartbeat"
