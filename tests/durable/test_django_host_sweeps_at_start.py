"""A Django host restarted after a crash finishes the inbox without waiting for a request.

The crash soak's stall: both hosts were killed while working through their backlog after
the last callback had arrived; their restarted processes served no request, and the Django
sweeper only started on a worker's first request, so ~500 stored callbacks waited forever.
A host that calls ``start_sweeper()`` at process start (``host_app.py``, as the callbacks
guide says to do in ``wsgi.py``) sweeps at once. Real Django host process, real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from cluster import cluster
from durable_helpers import wait_until


def test_a_restarted_django_host_processes_stored_callbacks_without_any_request(
    tmp_path: Path,
) -> None:
    with cluster("django", tmp_path, hosts=1, lease=3.0, sweep=0.5, callback_attempts=1) as running:
        assert running.proxy is not None
        tokens: list[str] = []
        running.env["HOST_SWEEP"] = "off"  # the crashing hosts must not finish anything
        for _ in range(3):
            old = running.hosts[0]
            assert old is not None
            old.kill()
            old.wait(30)
            # This host keeps each callback in the inbox, then dies before answering 200.
            running.proxy.set_backend(0, running.start_host(0, "accepted:1"))
            tokens += running.create_payments(1)
            running.settle(tokens[-1:])
            host, token = running.hosts[0], tokens[-1]
            assert host is not None
            wait_until(lambda h=host: h.poll() is not None, "the host to die after storing")
            # Each copy is tried once (callback_attempts=1): wait for both attempts, so
            # that no late copy reaches the restarted host below.
            wait_until(
                lambda t=token: len(running.sandbox.callbacks(t)) == 2, "both copies' attempts"
            )
        assert running.handled() == {}
        assert running.inbox_unfinished() >= 3
        forwarded = sum(running.proxy.forwarded)

        running.env["HOST_SWEEP"] = "0.5"
        running.proxy.set_backend(0, running.start_host(0))  # restarted, no crash

        wait_until(
            lambda: running.inbox_unfinished() == 0 and set(running.handled()) == set(tokens),
            "the restarted host to process the stored callbacks",
            timeout=30,
        )
        assert sum(running.proxy.forwarded) == forwarded  # no request reached it
        assert running.handled() == dict.fromkeys(tokens, 1)
