"""The 30 s payout status floor is lifted only for a loopback address, decided as everywhere
else."""

from __future__ import annotations

from pathlib import Path

import pytest

import ligdicash
from ligdicash.payouts import BatchRunner, open_ledger


@pytest.mark.parametrize(
    ("base_url", "interval"),
    [
        ("http://127.0.0.1:8000/pay/v01", 0.5),
        ("http://[::1]:8000/pay/v01", 0.5),
        ("http://localhost:8000/pay/v01", 0.5),
        # names, not addresses: LigdiCash's payout advice (every 30 to 60 s) applies
        ("https://127.example.com/pay/v01", 30.0),
        ("https://app.ligdicash.com/pay/v01", 30.0),
    ],
)
def test_poll_interval_floor_by_host(base_url: str, interval: float, tmp_path: Path) -> None:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    client = ligdicash.Client(api_key="k", auth_token="t", base_url=base_url)
    try:
        runner = BatchRunner(ledger, client, "batch", poll_interval=0.5)
        assert runner.poll_interval == interval
        default = BatchRunner(ledger, client, "batch").poll_interval
        assert default == (1.0 if interval < 1 else 30.0)
    finally:
        client.close()
        ledger.close()
