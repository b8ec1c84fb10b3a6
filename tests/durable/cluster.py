"""Two (or more) app processes behind the splitting proxy, one store, and the sandbox.

Used by ``test_two_hosts_one_store.py`` (in the suite), ``benchmarks/callbacks_e2e.py``
and the crash soak (``benchmarks/callbacks_crash_soak.py``). Each host runs
``host_app.py`` in its own working directory; the handler's deliveries are counted per
payment (a file for the flask hosts, the ``shop_delivery`` table for django).
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from durable_helpers import REDIS_URL, drop_redis_prefix, fresh_database, wait_until
from proxy import SplittingProxy

import ligdicash
from ligdicash.sandbox import Sandbox

HERE = Path(__file__).parent
BACKENDS = ("postgresql", "redis", "django")


@dataclass
class Cluster:
    backend: str
    root: Path
    sandbox: Sandbox
    env: dict[str, str]
    proxy: Optional[SplittingProxy] = None
    hosts: list[Optional[subprocess.Popen[bytes]]] = field(default_factory=list)
    reconcilers: list[Optional[subprocess.Popen[bytes]]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "django" if self.backend == "django" else "flask"

    @property
    def callback_url(self) -> str:
        assert self.proxy is not None
        suffix = "/ligdicash/callback/" if self.kind == "django" else "/ligdicash/callback"
        return self.proxy.url + suffix

    # -- hosts ---------------------------------------------------------------------------
    def start_host(self, index: int, crash: str = "") -> tuple[str, int]:
        """Start (or restart) host ``index``; returns its address once it serves."""
        port = self._start(self.hosts, "host", index, crash)[1]
        return ("127.0.0.1", port)

    def start_reconciler(self, index: int, crash: str = "") -> subprocess.Popen[bytes]:
        """Start (or restart) reconciler process ``index`` (``host_app.py --reconcile``)."""
        return self._start(self.reconcilers, "reconciler", index, crash, "--reconcile")[0]

    def _start(
        self,
        processes: list[Optional[subprocess.Popen[bytes]]],
        name: str,
        index: int,
        crash: str,
        *args: str,
    ) -> tuple[subprocess.Popen[bytes], int]:
        workdir = self.root / f"{name}{index}"
        workdir.mkdir(exist_ok=True)
        port_file = workdir / "port"
        port_file.unlink(missing_ok=True)
        env = dict(self.env, HOST_PORT_FILE=str(port_file), HOST_CRASH=crash)
        with open(workdir / "out.log", "ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, str(HERE / "host_app.py"), self.kind, *args],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while len(processes) <= index:
            processes.append(None)
        processes[index] = process

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"{name} {index} exited: {(workdir / 'out.log').read_text()[-2000:]}"
                )
            return port_file.exists()

        wait_until(ready, f"{name} {index} to start")
        return process, int(port_file.read_text())

    def stop_hosts(self) -> None:
        for process in [*self.hosts, *self.reconcilers]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(30)

    # -- payments ------------------------------------------------------------------------
    def create_payments(self, count: int, amount: int = 1500) -> list[str]:
        orders = self.root / "orders.jsonl"
        with (
            ligdicash.Client(
                api_key=self.sandbox.api_key,
                auth_token=self.sandbox.auth_token,
                base_url=self.sandbox.base_url,
            ) as client,
            open(orders, "a", encoding="utf-8") as out,
        ):
            for _ in range(count):
                order_id = f"ORD-{uuid.uuid4().hex[:12]}"
                invoice = client.Invoice(description=f"Order {order_id}")
                invoice.add_item(name="Item", description="", quantity=1, unit_price=amount)
                response = invoice.pay_with_redirection(
                    callback_url=self.callback_url, custom_data={"transaction_id": order_id}
                )
                row = {"order_id": order_id, "token": response.token, "amount": amount}
                out.write(json.dumps(row) + "\n")
                out.flush()
                self.tokens.append(response.token)
        return self.tokens[-count:]

    def create_recorded_payments(self, count: int, *, callbacks: bool = False) -> list[str]:
        """``count`` payments created by a shop process whose client records them in the
        shared store (``host_app.py --pay``); the sandbox sends their callbacks to the
        proxy only if ``callbacks``."""
        args = ["--pay", str(count), *(["--callbacks"] if callbacks else [])]
        done = subprocess.run(
            [sys.executable, str(HERE / "host_app.py"), self.kind, *args],
            cwd=self.root,
            env=dict(self.env, HOST_CALLBACK_URL=self.callback_url if callbacks else ""),
            capture_output=True,
            check=True,
            timeout=300,
        )
        tokens = done.stdout.decode().split()
        assert len(tokens) == count, done.stderr.decode()[-2000:]
        self.tokens += tokens
        return tokens

    def settle(self, tokens: list[str]) -> None:
        for token in tokens:
            self.sandbox.set_status(token, "completed")

    def handled(self) -> collections.Counter[str]:
        """How many times the handler ran, per token."""
        if self.kind == "flask":
            path = Path(self.env["HOST_HANDLED"])
            lines = path.read_text().split() if path.exists() else []
            return collections.Counter(lines)
        import psycopg

        with psycopg.connect(self.env["HOST_DJANGO_DB"], connect_timeout=5) as conn:
            rows = conn.execute("SELECT token FROM shop_delivery").fetchall()
        return collections.Counter(row[0] for row in rows)

    def store_urls(self) -> list[str]:
        """The store URL(s) the flask hosts use (one per host for ``sqlite-per-host``)."""
        url = self.env["LIGDICASH_STORE_URL"]
        if self.backend != "sqlite-per-host":
            return [url]
        return [
            f"sqlite:///{self.root / f'host{i}' / url[len('sqlite:///') :]}"
            for i in range(len(self.hosts))
        ]

    def inbox_unfinished(self) -> int:
        """Inbox entries not done yet."""
        if self.kind == "flask":
            unfinished = 0
            for url in self.store_urls():
                store = ligdicash.open_store(url)
                try:
                    counts = store.inbox_counts()
                finally:
                    store.close()
                unfinished += counts["pending"] + counts["processing"]
            return unfinished
        import psycopg

        with psycopg.connect(self.env["HOST_DJANGO_DB"], connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FROM ligdicash_django_inbox WHERE state <> 'done'"
            ).fetchone()
        return int(row[0]) if row else 0


@contextmanager
def cluster(
    backend: str,
    root: Path,
    hosts: int = 2,
    *,
    lease: float = 20.0,
    sweep: float = 5.0,
    **sandbox_options: Any,
) -> Iterator[Cluster]:
    """The sandbox, ``hosts`` app processes sharing one ``backend`` store, and the proxy."""
    with ExitStack() as stack:
        sandbox = stack.enter_context(Sandbox(**sandbox_options))
        env = dict(
            os.environ,
            HOST_SANDBOX_URL=sandbox.base_url,
            HOST_API_KEY=sandbox.api_key,
            HOST_AUTH_TOKEN=sandbox.auth_token,
            HOST_ORDERS=str(root / "orders.jsonl"),
            HOST_HANDLED=str(root / "handled.log"),
            HOST_LEASE=str(lease),
            HOST_SWEEP=str(sweep),
            PYTHONUNBUFFERED="1",
        )
        (root / "orders.jsonl").touch()
        if backend == "sqlite":  # one machine: every worker shares one file
            env["LIGDICASH_STORE_URL"] = f"sqlite:///{root / 'shared.sqlite3'}"
        elif backend == "sqlite-per-host":  # the old default behind a load balancer
            env["LIGDICASH_STORE_URL"] = "sqlite:///ligdicash-callbacks.sqlite3"
        elif backend == "redis":
            prefix = f"ligdicash-durable-{secrets.token_hex(4)}:"
            stack.callback(drop_redis_prefix, prefix)
            env["LIGDICASH_STORE_URL"] = f"{REDIS_URL}?prefix={prefix}"
        else:
            database = stack.enter_context(fresh_database())
            if backend == "postgresql":
                env["LIGDICASH_STORE_URL"] = database
            else:
                env["HOST_DJANGO_DB"] = database
                subprocess.run(
                    [sys.executable, str(HERE / "host_app.py"), "django", "--migrate"],
                    cwd=root,
                    env=env,
                    check=True,
                    timeout=120,
                )
        running = Cluster(backend, root, sandbox, env)
        stack.callback(running.stop_hosts)
        addresses = [running.start_host(i) for i in range(hosts)]
        running.proxy = SplittingProxy(addresses)
        running.proxy.start()
        stack.callback(running.proxy.stop)
        yield running
