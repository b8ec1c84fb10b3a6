"""Two hosts, one store: the two copies of every callback land on different processes,
and each payment is handled exactly once, on PostgreSQL, Redis and the Django ORM on
PostgreSQL.

Two app processes (``host_app.py``, separate working directories: stand-ins for two
machines) sit behind ``proxy.SplittingProxy``, which sends each callback's JSON copy to
one and its form copy to the other. 200 payments are created in the sandbox and settled
together; the handler records each delivery (a shared file for the Flask hosts, a table
written in the store's transaction for Django) and the test counts them per payment.
(With the old default, a SQLite file per host, the same run delivers payments twice:
``benchmarks/callbacks_e2e.py --per-host-sqlite`` shows it.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster import BACKENDS, cluster
from durable_helpers import wait_until

PAYMENTS = 200


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_payment_is_handled_exactly_once_across_two_hosts(
    backend: str, tmp_path: Path
) -> None:
    with cluster(backend, tmp_path) as running:
        tokens = running.create_payments(PAYMENTS)
        running.settle(tokens)
        wait_until(lambda: len(running.handled()) == PAYMENTS, f"{PAYMENTS} payments handled", 120)
        # Every copy (2 per payment) answered and finished: nothing left to run twice.
        wait_until(
            lambda: len(running.sandbox.callbacks()) >= 2 * PAYMENTS, "every copy delivered", 60
        )
        wait_until(lambda: running.inbox_unfinished() == 0, "the inbox drained", 60)
        handled = running.handled()
        assert running.proxy is not None
        assert running.proxy.forwarded[0] >= PAYMENTS // 2
        assert running.proxy.forwarded[1] >= PAYMENTS // 2
    assert sorted(handled) == sorted(tokens)
    assert [token for token, count in handled.items() if count != 1] == []
