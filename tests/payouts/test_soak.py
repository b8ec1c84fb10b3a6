"""A short crash soak: real worker processes kill -9'd mid-batch; the sandbox judges.

The long one (500 items, 20 kills; 1,000 items on 3 PostgreSQL workers) is
``benchmarks/payouts_soak.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SOAK = Path(__file__).parents[2] / "benchmarks" / "payouts_soak.py"


@pytest.mark.slow
def test_killed_workers_pay_nobody_twice_and_lose_nothing() -> None:
    spec = importlib.util.spec_from_file_location("payouts_soak", SOAK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.soak(items=80, kills=5, procs=1, store="sqlite", seed=7)
    assert result["paid_twice"] == 0
    assert result["lost"] == 0
    assert result["completed"] + result["failed"] == 80
