"""Crash soak of the Celery ``work_on_batch`` task: kill -9 the workers; count who was paid.

A sandbox (instant settlement) with ``latency`` and ``drop`` faults on the payout paths; a
batch of N payouts (client and merchant, a few numbers that fail) in a shared ledger
(a SQLite file, or a PostgreSQL database of its own); P Celery worker processes
(``celery -A celery_shop worker --pool solo``, the app of ``tests/celery/celery_shop.py``)
on a broker queue of the run's own (Redis or RabbitMQ), joined to the batch by
``LigdicashTasks.start_batch(copies=P)``. Each time the batch has moved on by a few
payouts, one worker, at random, is killed with SIGKILL in the middle of its task and a new
one started: its message, never acknowledged (``acks_late``), is delivered again (at once
by RabbitMQ; by Redis after the test app's 8 s ``visibility_timeout``) and the new run
turns the dead worker's in-flight payouts ``in_doubt`` instead of sending them again. Once
nothing moves by itself, the in-doubt payouts are resolved the way an operator would, by
looking them up in the sandbox's payout list (the stand-in for the LigdiCash dashboard),
and the batch is started again. The sandbox's own payout list is the judge:

- paid twice: ledger items with more than one payout in the sandbox (must be 0);
- lost: items not final at the end, or whose final status disagrees with the sandbox (0).

    python benchmarks/celery_soak.py [--items 500] [--kills 10] [--workers 3]
                                     [--broker redis|rabbitmq|both] [--pool solo|prefork]
                                     [--store sqlite|postgresql://HOST/postgres] [--seed 1]

``--pool prefork`` runs each worker with two pool children and kills a child instead of
the worker (``reject_on_worker_lost`` puts its message back; the pool starts another).

Brokers: ``LIGDICASH_TEST_REDIS_URL`` (redis://127.0.0.1:6379/0) and
``LIGDICASH_TEST_AMQP_URL`` (amqp://guest:guest@127.0.0.1:5672//); the run's queue, Redis
keys and RabbitMQ exchange are removed afterwards. Prints one row per broker; exit status 0
when nobody was paid twice and nothing was lost.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "tests" / "celery"
FINAL = ("completed", "failed", "cancelled")
BROKERS = {
    "redis": os.environ.get("LIGDICASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("LIGDICASH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Broker:
    """A broker URL and a queue name (also the Redis key prefix) of this run's own."""

    kind: str
    url: str
    queue: str = field(default_factory=lambda: f"ligdicash_test_{uuid.uuid4().hex[:10]}")

    def purge(self) -> None:
        """Remove everything this run left on the broker."""
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                keys = list(client.scan_iter(match=f"{self.queue}:*", count=1000))
                if keys:
                    client.delete(*keys)
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(self.url) as conn:
                channel = conn.default_channel
                channel.queue_delete(self.queue)
                channel.exchange_delete(self.queue)

    def leftovers(self) -> int:
        """How many of this run's keys or queues are still on the broker."""
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                return len(list(client.scan_iter(match=f"{self.queue}:*", count=1000)))
            finally:
                client.close()
        from kombu import Connection

        with Connection(self.url) as conn:
            try:
                conn.default_channel.queue_declare(self.queue, passive=True)
            except Exception:  # amqp's NotFound closes the channel: the queue is gone
                return 0
            return 1


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (Linux's ``/proc``)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.append(int(entry))
    return kids


@dataclass
class Workers:
    """Celery worker processes. ``--pool solo``: a task runs in the worker's own process,
    so SIGKILL kills it mid-task. ``--pool prefork -c 2``: tasks run in two children; a
    killed child's message goes back to the queue (``reject_on_worker_lost``) and the pool
    starts another child."""

    broker: Broker
    env: dict[str, str]
    logs: Path
    pool: str = "solo"
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def make(
        cls, broker: Broker, sandbox: Any, logs: Path, pool: str = "solo", **extra: str
    ) -> Workers:
        env = dict(
            os.environ,
            SHOP_BROKER=broker.url,
            SHOP_QUEUE=broker.queue,
            LIGDICASH_API_KEY=sandbox.api_key,
            LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
            LIGDICASH_BASE_URL=sandbox.base_url,
            PYTHONPATH=os.pathsep.join(p for p in (str(SHOP), os.environ.get("PYTHONPATH")) if p),
            **extra,
        )
        logs.mkdir(parents=True, exist_ok=True)
        return cls(broker, env, logs, pool)

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        with open(self.logs / f"worker-{n}.log", "wb") as log:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "celery_shop", "worker"),
                    *("--pool", self.pool, "--loglevel", "WARNING", "-n", f"w{n}@%h"),
                    *(("--concurrency", "2") if self.pool == "prefork" else ()),
                    *("--without-heartbeat", "--without-gossip", "--without-mingle"),
                    *("-Q", self.broker.queue),
                ],
                env=self.env,
                cwd=SHOP,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def stop_all(self) -> None:
        for proc in self.alive():
            proc.send_signal(signal.SIGKILL)
        for proc in self.procs:
            proc.wait()

    def log_tail(self, size: int = 3000) -> str:
        return "\n".join(
            f"== {path.name}\n" + path.read_text("utf-8", "replace")[-size:]
            for path in sorted(self.logs.glob("worker-*.log"))
        )


def caller_tasks(broker: Broker) -> Any:
    """The shop's ``LigdicashTasks`` as the web app that queues the work sees them."""
    sys.path.insert(0, str(SHOP))
    try:
        from celery_shop import make_app  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SHOP))
    return make_app(broker.url, broker.queue)[1]


def restores_often() -> bool:
    """Whether this kombu checks Redis for expired unacknowledged messages as often as the
    test app asks (``unacked_restore_interval``, kombu >= 5.7); earlier, every 100 s."""
    from kombu.transport import redis as kombu_redis

    return hasattr(kombu_redis.Channel, "unacked_restore_interval")


def redis_visibility_timeout() -> float:
    sys.path.insert(0, str(SHOP))
    try:
        from celery_shop import REDIS_VISIBILITY_TIMEOUT  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SHOP))
    return float(REDIS_VISIBILITY_TIMEOUT)


def write_batch(path: Path, n: int, rng: random.Random) -> None:
    lines = ["reference;phone;amount;type;description"]
    for i in range(n):
        kind = "client" if i % 2 else "merchant"
        phone = "22670000500" if i % 25 == 7 else f"2267{rng.randrange(10**7):07d}"
        lines.append(f"C{i:05d};{phone};{100 + i};{kind};celery soak {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def arm_faults(sb: Any, rng: random.Random) -> None:
    sb.clear_faults()
    for path in ("withdrawal/create", "straight/payout"):
        sb.add_fault("drop", count=2, path=path)
        sb.add_fault("latency", count=400, path=path, latency_ms=rng.randrange(50, 250))


@contextmanager
def ledger_url(store: str, workdir: Path) -> Iterator[str]:
    """The ledger's URL: a SQLite file, or a PostgreSQL database of its own (dropped)."""
    if not store.startswith("postgres"):
        yield f"sqlite:///{workdir / 'ledger.db'}"
        return
    import psycopg

    name = f"ligdicash_celery_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(store, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield store.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(store, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def soak(
    items: int = 500,
    kills: int = 10,
    procs: int = 3,
    broker_kind: str = "redis",
    store: str = "sqlite",
    seed: int = 1,
    pool: str = "solo",
    copies: Optional[int] = None,
    rate: Optional[float] = None,
) -> dict[str, Any]:
    """Run one soak; returns its row (see the module's docstring). ``copies``: the
    ``work_on_batch`` messages queued (default: one per worker process, two with prefork);
    ``rate``: payouts per second of each task's runner (default: no limit)."""
    from ligdicash.payouts import load_batch, open_ledger
    from ligdicash.sandbox import Sandbox, SandboxConfig

    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="ligdicash-celery-soak-"))
    batch_path = workdir / "soak.csv"
    write_batch(batch_path, items, rng)
    broker = Broker(broker_kind, BROKERS[broker_kind])
    started = time.monotonic()
    options: dict[str, Any] = {"workers": 4, "in_flight": 4, "settle_timeout": 2.0}
    if rate is not None:
        options["rate"] = rate
    with ledger_url(store, workdir) as url, Sandbox(SandboxConfig.fast()) as sb:
        ledger = open_ledger(url)
        workers = Workers.make(broker, sb, workdir / "logs", pool, LIGDICASH_PAYOUTS_STORE=url)
        tasks = caller_tasks(broker)
        try:
            batch = load_batch(str(batch_path))
            ledger.add_batch(batch)

            def moved() -> int:
                info = ledger.batch_info(batch.id)
                return info.item_count - info.count("pending")

            # 1. Workers join the batch; kill one mid-task each time it has moved on.
            arm_faults(sb, rng)
            for _ in range(procs):
                workers.start()
            if copies is None:
                copies = procs * (2 if pool == "prefork" else 1)
            tasks.start_batch(batch.id, copies=copies, **options)

            def busy_children(parent: int) -> list[int]:
                """The pool children of ``parent`` that hold payouts ``sending`` now."""
                owners = {
                    item.worker.split(":")[1]
                    for item in ledger.items(batch.id, statuses=["sending"])
                    if item.worker.count(":") >= 2
                }
                return [kid for kid in children(parent) if str(kid) in owners]

            killed_mid_batch = 0
            for _ in range(kills):
                target = min(items, moved() + rng.randrange(5, max(6, items // (kills + 1))))
                wait_until(lambda t=target: moved() >= t, "the batch to move on")  # type: ignore[misc]
                if ledger.batch_info(batch.id).count("pending") == 0:
                    break
                victim = rng.choice(workers.alive())
                if pool == "prefork":
                    # The pool child in the middle of sending payouts; the worker starts
                    # another child itself, and the message goes back to the queue.
                    def busy_or_done(parent: int = victim.pid) -> Any:
                        if ledger.batch_info(batch.id).count("pending") == 0:
                            return ["done"]
                        return busy_children(parent)

                    busy = wait_until(busy_or_done, "a pool child sending payouts")
                    if busy == ["done"]:
                        break
                    os.kill(rng.choice(busy), signal.SIGKILL)
                    killed_mid_batch += 1
                    arm_faults(sb, rng)
                    continue
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed_at = time.monotonic()
                killed_mid_batch += 1
                arm_faults(sb, rng)
                if broker.kind == "redis" and not restores_often():
                    # kombu < 5.7 looks for expired unacked messages when a worker starts,
                    # then every 100 s only: start the new worker once the killed one's
                    # message has passed its visibility timeout (the broker's own clock).
                    visible_at = killed_at + redis_visibility_timeout() + 0.5
                    wait_until(
                        lambda at=visible_at: time.monotonic() > at,  # type: ignore[misc]
                        "the killed worker's message to pass its visibility timeout",
                    )
                workers.start()

            # 2. No more kills: wait until nothing moves by itself (in_doubt needs a person).
            def quiet() -> bool:
                info = ledger.batch_info(batch.id)
                return info.count("pending", "sending", "sent") == 0

            wait_until(quiet, "the workers to finish the batch", timeout=300)
            sb.clear_faults()
            in_doubt_seen = len(ledger.items(batch.id, statuses=["in_doubt"]))

            # 3. The operator looks the in-doubt payouts up and resolves them; start again.
            operator: collections.Counter[str] = collections.Counter()
            for _ in range(5):
                doubts = ledger.items(batch.id, statuses=["in_doubt"])
                if not doubts:
                    break
                by_id = {
                    str((tx.get("custom_data") or {}).get("transaction_id")): tx
                    for tx in sb.transactions()
                }
                for item in doubts:
                    found = by_id.get(item.id)
                    if found is None:
                        ledger.resolve(item.id, not_sent=True)
                        operator["not sent"] += 1
                    else:
                        ledger.resolve(item.id, sent_token=found["token"])
                        operator["sent"] += 1
                tasks.start_batch(batch.id, copies=1, **options)
                wait_until(quiet, "the resolved payouts to be sent and settled", timeout=300)

            # 4. The judge.
            payouts = [tx for tx in sb.transactions() if str(tx.get("kind", "")).endswith("payout")]
            per_item = collections.Counter(
                str((tx.get("custom_data") or {}).get("transaction_id")) for tx in payouts
            )
            sandbox_status = {
                str((tx.get("custom_data") or {}).get("transaction_id")): tx["status"]
                for tx in payouts
            }
            final_items = ledger.items(batch.id)
            lost = [
                i.id
                for i in final_items
                if i.status not in FINAL
                or (i.status == "completed") != (sandbox_status.get(i.id) == "completed")
            ]
            result: dict[str, Any] = {
                "broker": broker_kind,
                "pool": pool,
                "ledger": url.split(":", 1)[0],
                "items": items,
                "workers": procs,
                "kills": killed_mid_batch,
                "paid_twice": sum(1 for n in per_item.values() if n > 1),
                "lost": len(lost),
                "completed": sum(i.status == "completed" for i in final_items),
                "failed": sum(i.status == "failed" for i in final_items),
                "in_doubt_after_kills": in_doubt_seen,
                "operator": dict(operator),
                "seconds": round(time.monotonic() - started, 1),
            }
        except BaseException:
            print(workers.log_tail(), file=sys.stderr)
            raise
        finally:
            workers.stop_all()
            tasks.close()
            tasks.app.close()
            ledger.close()
            broker.purge()
    result["broker_leftovers"] = broker.leftovers()
    shutil.rmtree(workdir, ignore_errors=True)  # kept (with the workers' logs) on a failure
    return result


COLUMNS = (
    "broker",
    "pool",
    "ledger",
    "items",
    "workers",
    "kills",
    "paid_twice",
    "lost",
    "in_doubt_after_kills",
    "seconds",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--broker", choices=["redis", "rabbitmq", "both"], default="both")
    parser.add_argument("--store", default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", choices=["solo", "prefork"], default="solo")
    args = parser.parse_args()
    kinds = ["redis", "rabbitmq"] if args.broker == "both" else [args.broker]
    rows = [
        soak(args.items, args.kills, args.workers, kind, args.store, args.seed, args.pool)
        for kind in kinds
    ]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(f"{c:>{widths[c]}}" for c in COLUMNS))
    for row in rows:
        print("  ".join(f"{row[c]!s:>{widths[c]}}" for c in COLUMNS))
        print(
            f"  operator: {row['operator']}; completed {row['completed']}, "
            f"failed {row['failed']}; broker leftovers {row['broker_leftovers']}"
        )
    ok = all(r["paid_twice"] == 0 and r["lost"] == 0 for r in rows)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
