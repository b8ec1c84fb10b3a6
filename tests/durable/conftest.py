"""The durable tests run app processes against real PostgreSQL and Redis servers; each
test gets its own database or key prefix and removes it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
