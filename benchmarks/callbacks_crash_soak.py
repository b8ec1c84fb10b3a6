"""Crash soak: kill -9 app workers at random points while 300 payments settle; count.

Two hosts (``tests/durable/host_app.py`` behind ``tests/durable/proxy.py``) share one
store. Each host kills itself with ``SIGKILL`` with some probability at one point of a
callback's life, cycling over the three points across restarts:

* ``accepted``: the callback is in the inbox, the 200 not yet sent, nothing processed;
* ``handler``: the claim is held and confirmed, the handler is about to write;
* ``confirmed``: the handler wrote, the "done" mark is not written (for Django, inside
  the transaction: the write is rolled back).

The harness restarts every dead host at once (the proxy skips it meanwhile), until at
least ``--kills`` kills happened, then lets the sweepers work for at most two minutes and
counts, per payment, how often the handler ran: lost = 0 times, twice = more than once.
The Flask hosts' handler appends to a plain file: at-least-once, so a kill at
``confirmed`` may run it twice (by design; that is what ``event_key`` is for). The Django
hosts' handler writes in the store's transaction: exactly once.

    python benchmarks/callbacks_crash_soak.py [--payments 300] [--kills 20]
        [--backends postgresql,redis,django]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests" / "durable")]

from cluster import BACKENDS, Cluster, cluster  # noqa: E402

POINTS = ("accepted", "handler", "confirmed")


def supervise(
    running: Cluster, wanted: int, probability: float, stop: threading.Event
) -> dict[str, int]:
    """Restart dead hosts (with the next crash point) until ``stop``; kills per point."""
    kills = dict.fromkeys(POINTS, 0)
    points = itertools.cycle(POINTS)
    current = {index: next(points) for index in range(len(running.hosts))}
    for index, point in current.items():
        old = running.hosts[index]
        if old is not None:
            old.kill()
            old.wait(30)
        running.proxy.set_backend(index, running.start_host(index, f"{point}:{probability}"))  # type: ignore[union-attr]
    while not stop.is_set():
        for index, process in enumerate(running.hosts):
            if process is not None and process.poll() is not None:
                kills[current[index]] += 1
                current[index] = next(points)
                crash = f"{current[index]}:{probability}" if sum(kills.values()) < wanted else ""
                address = running.start_host(index, crash)
                running.proxy.set_backend(index, address)  # type: ignore[union-attr]
        stop.wait(0.05)
    return kills


def soak(backend: str, payments: int, wanted: int, probability: float) -> dict[str, object]:
    tmp = tempfile.mkdtemp(prefix="ligdicash-inbox-soak-")  # kept: the hosts' logs
    print(f"{backend}: the hosts' logs are under {tmp}", file=sys.stderr, flush=True)
    with (
        cluster(
            backend,
            Path(tmp),
            lease=3.0,
            sweep=1.0,
            callback_attempts=6,
            callback_backoff=0.5,
        ) as running,
    ):
        stop = threading.Event()
        result: dict[str, dict[str, int]] = {}
        supervisor = threading.Thread(
            target=lambda: result.setdefault("kills", supervise(running, wanted, probability, stop))
        )
        supervisor.start()
        started = time.monotonic()
        tokens: list[str] = []
        for _ in range(0, payments, 30):
            batch = running.create_payments(min(30, payments - len(tokens)))
            tokens += batch
            running.settle(batch)
        settled = time.monotonic()
        deadline = settled + 120.0
        while time.monotonic() < deadline:
            if len(running.handled()) == payments and running.inbox_unfinished() == 0:
                break
            time.sleep(0.5)
        drained = time.monotonic() - settled
        stop.set()
        supervisor.join()
        handled = running.handled()
        lost = [token for token in tokens if handled[token] == 0]
        # A lost payment whose copies were never answered 200 never reached a store: only
        # polling (the reconciler) can find it.
        unreached = sum(
            1
            for token in lost
            if not any(entry.get("delivered") for entry in running.sandbox.callbacks(token))
        )
        return {
            "unreached": unreached,
            "backend": backend,
            "payments": payments,
            "kills": result["kills"],
            "lost": len(lost),
            "twice": sum(1 for token in tokens if handled[token] > 1),
            "unfinished": running.inbox_unfinished(),
            "drain_s": round(drained, 1),
            "total_s": round(time.monotonic() - started, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--probability", type=float, default=0.15)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    print(
        "| backend | payments | kills (accepted/handler/confirmed) | lost (never answered 200) | "
        "handled twice | inbox left | drained after settling | total |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        row = soak(backend, args.payments, args.kills, args.probability)
        kills = row["kills"]
        assert isinstance(kills, dict)
        print(
            f"| {backend} | {row['payments']} | {sum(kills.values())} "
            f"({kills['accepted']}/{kills['handler']}/{kills['confirmed']}) | {row['lost']} "
            f"({row['unreached']}) | "
            f"{row['twice']} | {row['unfinished']} | {row['drain_s']} s | {row['total_s']} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
