"""Proof: with callbacks disabled, the reconciler alone settles every payment exactly once.

120 sandbox payments created by a client recording into PostgreSQL (this session's own
database), with ``sandbox_callback: none`` so no callback ever arrives; 80 are completed
and 40 cancelled in the sandbox. Two ``ligdicash reconcile`` processes run at the same time
on the same store, with small batches so that their rounds interleave. Each payment's
handler runs exactly once across both processes; a payment whose creation answer was lost
(sandbox fault ``drop_after`` on the create path) shows as ``in_doubt``, not lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from reconcile_helpers import pay

import ligdicash
from ligdicash.sandbox import Sandbox

N_COMPLETED, N_CANCELLED = 80, 40

HANDLER = """
import os

def _write(kind, transaction):
    line = f"{os.getpid()} {kind} {transaction.custom_data['transaction_id']}\\n"
    fd = os.open(os.environ["HANDLED_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())  # one short O_APPEND write: lines never interleave
    finally:
        os.close(fd)

def completed(transaction):
    _write("completed", transaction)

def cancelled(transaction):
    _write("cancelled", transaction)
"""


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_two_reconciler_processes_on_postgresql_handle_each_payment_exactly_once(
    ligdicash_sandbox: Sandbox, reconcile_pg_url: str, tmp_path: Path
) -> None:
    store = ligdicash.open_store(reconcile_pg_url)
    sb = ligdicash_sandbox
    try:
        with ligdicash.Client(
            api_key=sb.api_key,
            auth_token=sb.auth_token,
            base_url=sb.base_url,
            max_retries=0,
            timeout=5.0,
            store=store,
        ) as client:
            tokens = {f"P-{i:03d}": pay(client, f"P-{i:03d}") for i in range(120)}
            sb.add_fault("drop_after", count=1, path="checkout-invoice/create")
            with pytest.raises(ligdicash.APIConnectionError):
                pay(client, "LOST-1")
        for i, token in enumerate(tokens.values()):
            sb.set_status(token, "completed" if i < N_COMPLETED else "nocompleted")
        assert sb.callbacks() == []  # callbacks are disabled: only polling can find them
        assert store.payment_counts() == {"pending": 120, "in_doubt": 1}

        (tmp_path / "proof_handlers.py").write_text(HANDLER)
        handled = tmp_path / "handled.txt"
        env = {
            **os.environ,
            "LIGDICASH_API_KEY": sb.api_key,
            "LIGDICASH_AUTH_TOKEN": sb.auth_token,
            "LIGDICASH_BASE_URL": sb.base_url,
            "HANDLED_FILE": str(handled),
        }
        command = [
            sys.executable,
            "-m",
            "ligdicash._cli",
            "reconcile",
            "--store",
            reconcile_pg_url,
            "--handler",
            "proof_handlers:completed",
            "--on-cancelled",
            "proof_handlers:cancelled",
            "--schedule",
            "0,1",
            "--batch-size",
            "5",
            "--concurrency",
            "4",
            "--interval",
            "0.05",
            "--json",
        ]
        logs = [(tmp_path / f"worker{n}.err").open("w") for n in range(2)]
        workers = [
            subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log) for log in logs
        ]
        try:
            _wait(
                lambda: (
                    "pending" not in store.payment_counts()
                    or any(w.poll() is not None for w in workers)
                ),
                240,
                "every payment to be settled",
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            for log in logs:
                log.close()
        errors = [(tmp_path / f"worker{n}.err").read_text() for n in range(2)]
        assert "pending" not in store.payment_counts(), errors

        lines = [line.split() for line in handled.read_text().splitlines()]
        per_payment = Counter(ref for _, _, ref in lines)
        assert set(per_payment) == set(tokens)
        assert set(per_payment.values()) == {1}, [r for r, n in per_payment.items() if n > 1]
        kinds = Counter(kind for _, kind, _ in lines)
        assert kinds == Counter(completed=N_COMPLETED, cancelled=N_CANCELLED)
        assert store.payment_counts() == {
            "completed": N_COMPLETED,
            "cancelled": N_CANCELLED,
            "in_doubt": 1,
        }
        lost = store.get_payment("LOST-1")
        assert lost is not None
        assert (lost.status, lost.token) == ("in_doubt", None)
        assert len(sb.transactions()) == 121  # the lost one did land: an operator settles it
        pids = Counter(pid for pid, _, _ in lines)
        print(f"handled per process: {dict(pids)}")
    finally:
        store.close()
