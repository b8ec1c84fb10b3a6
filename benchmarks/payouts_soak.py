"""Crash soak of bulk payouts: kill -9 the workers again and again; count who was paid.

A sandbox (instant settlement, payout callbacks on) with ``drop`` and ``latency`` faults on
the payout paths; a batch of N payouts (client and merchant, a few numbers that fail);
worker processes (``ligdicash payouts run`` / ``work``) started and ``kill -9``'d at random
points K times, then left to finish. A callback endpoint in this process feeds every
callback to ``apply_callback``: callbacks settle ``sent`` items through a status call; for
in-doubt items they are only evidence (a callback's hash does not cover its body). In-doubt
items are resolved the way an operator would, by looking the payout up (here in the
sandbox's list, the stand-in for the LigdiCash dashboard), then re-run. The sandbox's own
payout list is the judge:

- paid twice: ledger items with more than one payout in the sandbox (must be 0);
- lost: items not final at the end, or whose final status disagrees with the sandbox (0);
- in doubt: how many, how each was resolved (operator: sent / not sent), and how many had
  callback evidence when the operator looked, and whether it agreed with the sandbox.

    python benchmarks/payouts_soak.py [--items 500] [--kills 20] [--procs 1]
                                      [--store sqlite|postgresql://HOST/postgres] [--seed 1]
                                      [--in-flight 8]

With a PostgreSQL server, the soak creates its own database ``ligdicash_payouts_<random>``
and drops it afterwards.

Exit status 0 when nobody was paid twice and nothing was lost.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ligdicash import Client
from ligdicash.payouts import apply_callback, load_batch, open_ledger
from ligdicash.sandbox import Sandbox, SandboxConfig

MAIN = "from ligdicash._cli import main; main()"
FINAL = ("completed", "failed", "cancelled")


class CallbackEndpoint:
    """A real HTTP endpoint that hands each callback to ``apply_callback``."""

    def __init__(self, ledger_url: str, sb: Sandbox) -> None:
        self.ledger = open_ledger(ledger_url)
        self.client = Client(
            api_key=sb.api_key, auth_token=sb.auth_token, base_url=sb.base_url, max_retries=3
        )
        self.actions: collections.Counter[str] = collections.Counter()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    outcome = apply_callback(
                        endpoint.ledger,
                        endpoint.client,
                        body,
                        self.headers.get("Content-Type", ""),
                        api_key=sb.api_key,
                        auth_token=sb.auth_token,
                    )
                    endpoint.actions[outcome.action] += 1
                except Exception as exc:
                    endpoint.actions[f"error:{type(exc).__name__}"] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()
        self.ledger.close()


def write_batch(path: str, n: int, rng: random.Random) -> None:
    lines = ["reference;phone;amount;type;description"]
    for i in range(n):
        kind = "client" if i % 2 else "merchant"
        phone = "22670000500" if i % 25 == 7 else f"2267{rng.randrange(10**7):07d}"
        lines.append(f"S{i:05d};{phone};{100 + i};{kind};soak {i}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def arm_faults(sb: Sandbox, rng: random.Random) -> None:
    sb.clear_faults()
    for path in ("withdrawal/create", "straight/payout"):
        sb.add_fault("drop", count=3, path=path)
        sb.add_fault("latency", count=400, path=path, latency_ms=rng.randrange(50, 300))


def start_worker(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", MAIN, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def soak(
    items: int, kills: int, procs: int, store: str, seed: int, in_flight: int = 8
) -> dict[str, Any]:
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="ligdicash-soak-")
    batch_path = os.path.join(workdir, "soak.csv")
    write_batch(batch_path, items, rng)
    store_url = store if store != "sqlite" else f"sqlite:///{workdir}/ledger.db"
    started = time.monotonic()
    with Sandbox(SandboxConfig.fast()) as sb:
        endpoint = CallbackEndpoint(store_url, sb)
        env = dict(
            os.environ,
            LIGDICASH_API_KEY=sb.api_key,
            LIGDICASH_AUTH_TOKEN=sb.auth_token,
            LIGDICASH_BASE_URL=sb.base_url,
        )
        ledger = endpoint.ledger
        batch = load_batch(batch_path)
        ledger.add_batch(batch, allow_overlap=True)
        common = ["--store", store_url, "--workers", "4", "--in-flight", str(in_flight)]
        common += ["--callback-url", endpoint.url]
        common += ["--settle-timeout", "3"]
        first = ["payouts", "run", batch_path, "--yes", "--allow-repeat-recipient", *common]
        join = ["payouts", "work", batch.id, *common]
        # 1. The kills.
        arm_faults(sb, rng)
        workers = [start_worker(first, env)] + [start_worker(join, env) for _ in range(procs - 1)]
        for _ in range(kills):
            time.sleep(rng.uniform(0.6, 1.8))
            victim = rng.randrange(len(workers))
            if workers[victim].poll() is None:
                workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            arm_faults(sb, rng)
            workers[victim] = start_worker(first if victim == 0 else join, env)
        # 2. Faults still on, no more kills: let the workers finish.
        for proc in workers:
            proc.wait()
        sb.clear_faults()
        in_doubt_seen = len(ledger.items(batch.id, statuses=["in_doubt"]))
        # 3. Re-run until nothing moves by itself; then the operator resolves what is left.
        operator: collections.Counter[str] = collections.Counter()
        for _ in range(10):
            start_worker(first, env).wait()
            deadline = time.monotonic() + 5
            while ledger.items(batch.id, statuses=["sent"]) and time.monotonic() < deadline:
                time.sleep(0.1)
            doubts = ledger.items(batch.id, statuses=["in_doubt"])
            info = ledger.batch_info(batch.id)
            if not doubts and info.count("pending", "sent", "sending") == 0:
                break
            by_id = {
                str((tx.get("custom_data") or {}).get("transaction_id")): tx
                for tx in sb.transactions()
            }
            for item in doubts:
                found = by_id.get(item.id)
                if item.evidence:
                    said_paid = "says completed" in item.evidence
                    paid = found is not None and found.get("status") == "completed"
                    operator["evidence agreed" if said_paid == paid else "evidence disagreed"] += 1
                if found is None:
                    ledger.resolve(item.id, not_sent=True)
                    operator["not sent"] += 1
                else:
                    ledger.resolve(item.id, sent_token=found["token"])
                    operator["sent"] += 1
        # 4. The judge.
        payouts = [tx for tx in sb.transactions() if str(tx.get("kind", "")).endswith("payout")]
        per_item = collections.Counter(
            str((tx.get("custom_data") or {}).get("transaction_id")) for tx in payouts
        )
        sandbox_status = {
            str((tx.get("custom_data") or {}).get("transaction_id")): tx["status"] for tx in payouts
        }
        final_items = ledger.items(batch.id)
        lost = [
            i.id
            for i in final_items
            if i.status not in FINAL
            or (i.status == "completed") != (sandbox_status.get(i.id) == "completed")
        ]
        resolutions = collections.Counter(i.resolution for i in final_items if i.resolution)
        result = {
            "store": store_url.split(":", 1)[0],
            "items": items,
            "processes": procs,
            "kills": kills,
            "in_flight_per_process": 4 * in_flight,
            "paid_twice": sum(1 for n in per_item.values() if n > 1),
            "lost": len(lost),
            "completed": sum(i.status == "completed" for i in final_items),
            "failed": sum(i.status == "failed" for i in final_items),
            "in_doubt_after_kills": in_doubt_seen,
            "resolved_by": dict(resolutions),
            "operator_lookups": dict(operator),
            "callback_actions": dict(endpoint.actions),
            "seconds": round(time.monotonic() - started, 1),
        }
        endpoint.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--store", default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=8, help="per sender (4 senders)")
    args = parser.parse_args()
    if args.store.startswith("postgresql://"):
        # A database of its own, dropped afterwards; --store names the server (and the
        # database to connect to for CREATE DATABASE).
        import uuid

        import psycopg

        name = f"ligdicash_payouts_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.store, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = args.store.rsplit("/", 1)[0] + "/" + name
            result = soak(args.items, args.kills, args.procs, url, args.seed, args.in_flight)
        finally:
            with psycopg.connect(args.store, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        result = soak(args.items, args.kills, args.procs, args.store, args.seed, args.in_flight)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    raise SystemExit(0 if result["paid_twice"] == 0 and result["lost"] == 0 else 1)


if __name__ == "__main__":
    main()
