"""What the Celery tests share: the soak benchmark's helpers (``benchmarks/celery_soak.py``:
``Broker``, ``Workers``, ``wait_until``, ``soak``), loaded once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

SOAK_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "celery_soak.py"


def _load_soak() -> Any:
    if "celery_soak" in sys.modules:
        return sys.modules["celery_soak"]
    spec = importlib.util.spec_from_file_location("celery_soak", SOAK_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["celery_soak"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


soak = _load_soak()
Broker = soak.Broker
Workers = soak.Workers
wait_until = soak.wait_until
