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

With ``--no-callbacks`` the sandbox sends no callback at all: a shop process creates the
payments with a client that records each one in the shared store (``Client(store=...)``),
and two reconciler processes (``host_app.py --reconcile``: ``Reconciler.run_forever``
through the same processor and handler; for Django, ``get_processor()`` as
``manage.py ligdicash_reconcile`` does) are the only way the payments are found. The
reconcilers are killed with ``SIGKILL`` at three points, cycling: ``handler`` and
``confirmed`` as above, and ``anytime`` (by the harness, at a random moment of their life,
0.2 to 1.5 s after start), and restarted at once.

With ``--reconciler`` (callbacks on), the payments are recorded in the store as well and
one reconciler process (never killed; first poll after 20 s, then every 5 s) runs beside
the hosts: it finds the payments whose every callback copy was refused while both hosts
were down (the sandbox gave up), which no sweeper can, and shares the hosts' claims, so
a callback and a poll never both run the handler.

    python benchmarks/callbacks_crash_soak.py [--payments 300] [--kills 20]
        [--backends postgresql,redis,django] [--no-callbacks | --reconciler]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests" / "durable")]

from cluster import BACKENDS, Cluster, cluster  # noqa: E402

POINTS = ("accepted", "handler", "confirmed")
RECONCILER_POINTS = ("handler", "confirmed", "anytime")


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
                try:
                    address = running.start_host(index, crash)
                except AssertionError:
                    # It died before serving: its sweeper starts with it and may hit a
                    # crash point on a stored callback. A kill like any other: next turn.
                    continue
                running.proxy.set_backend(index, address)  # type: ignore[union-attr]
        stop.wait(0.05)
    return kills


def supervise_reconcilers(
    running: Cluster, count: int, wanted: int, probability: float, stop: threading.Event
) -> dict[str, int]:
    """Start ``count`` reconcilers; kill (``anytime``) and restart them until ``stop``."""
    kills = dict.fromkeys(RECONCILER_POINTS, 0)
    points = itertools.cycle(RECONCILER_POINTS)
    current: dict[int, str] = {}
    kill_at: dict[int, float] = {}

    def start(index: int) -> None:
        point = current[index] = next(points)
        armed = sum(kills.values()) < wanted
        crash = f"{point}:{probability}" if armed and point != "anytime" else ""
        with contextlib.suppress(AssertionError):  # died starting: counted, restarted next turn
            running.start_reconciler(index, crash)
        kill_at[index] = (
            time.monotonic() + random.uniform(0.2, 1.5) if armed and point == "anytime" else 0.0
        )

    for index in range(count):
        start(index)
    while not stop.is_set():
        for index, process in enumerate(running.reconcilers):
            assert process is not None
            if kill_at[index] and time.monotonic() >= kill_at[index] and process.poll() is None:
                process.kill()
            if process.poll() is not None:
                process.wait()
                kills[current[index]] += 1
                start(index)
        stop.wait(0.05)
    return kills


def soak_without_callbacks(
    backend: str, payments: int, wanted: int, probability: float
) -> dict[str, object]:
    """The reconcilers alone find the payments, while being killed."""
    tmp = tempfile.mkdtemp(prefix="ligdicash-reconcile-soak-")  # kept: the processes' logs
    print(f"{backend}: the reconcilers' logs are under {tmp}", file=sys.stderr, flush=True)
    with cluster(backend, Path(tmp), hosts=1, lease=3.0, sweep=1.0) as running:
        stop = threading.Event()
        result: dict[str, dict[str, int]] = {}
        supervisor = threading.Thread(
            target=lambda: result.setdefault(
                "kills", supervise_reconcilers(running, 2, wanted, probability, stop)
            )
        )
        supervisor.start()
        started = time.monotonic()
        tokens: list[str] = []
        for _ in range(0, payments, 30):
            batch = running.create_recorded_payments(min(30, payments - len(tokens)))
            tokens += batch
            running.settle(batch)
        settled = time.monotonic()
        deadline = settled + 120.0
        while time.monotonic() < deadline:
            if len(running.handled()) == payments:
                break
            time.sleep(0.5)
        drained = time.monotonic() - settled
        stop.set()
        supervisor.join()
        handled = running.handled()
        return {
            "unreached": 0,
            "backend": backend,
            "payments": payments,
            "kills": result["kills"],
            "lost": sum(1 for token in tokens if handled[token] == 0),
            "twice": sum(1 for token in tokens if handled[token] > 1),
            "unfinished": 0,
            "drain_s": round(drained, 1),
            "total_s": round(time.monotonic() - started, 1),
        }


def soak(
    backend: str, payments: int, wanted: int, probability: float, reconciler: bool = False
) -> dict[str, object]:
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
        if reconciler:
            running.env["HOST_RECONCILE_SCHEDULE"] = "20,5"
            running.start_reconciler(0)
        started = time.monotonic()
        tokens: list[str] = []
        for _ in range(0, payments, 30):
            count = min(30, payments - len(tokens))
            if reconciler:
                batch = running.create_recorded_payments(count, callbacks=True)
            else:
                batch = running.create_payments(count)
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
    parser.add_argument(
        "--no-callbacks",
        action="store_true",
        help="the sandbox sends no callback; killed reconcilers alone find the payments",
    )
    parser.add_argument(
        "--reconciler",
        action="store_true",
        help="record the payments and run one reconciler beside the hosts",
    )
    args = parser.parse_args()
    points = RECONCILER_POINTS if args.no_callbacks else POINTS
    print(
        f"| backend | payments | kills ({'/'.join(points)}) | "
        f"lost{'' if args.no_callbacks else ' (never answered 200)'} | "
        "handled twice | inbox left | drained after settling | total |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        if args.no_callbacks:
            row = soak_without_callbacks(backend, args.payments, args.kills, args.probability)
        else:
            row = soak(backend, args.payments, args.kills, args.probability, args.reconciler)
        kills = row["kills"]
        assert isinstance(kills, dict)
        unreached = "" if args.no_callbacks else f" ({row['unreached']})"
        print(
            f"| {backend} | {row['payments']} | {sum(kills.values())} "
            f"({'/'.join(str(kills[point]) for point in points)}) | {row['lost']}"
            f"{unreached} | "
            f"{row['twice']} | {row['unfinished']} | {row['drain_s']} s | {row['total_s']} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
