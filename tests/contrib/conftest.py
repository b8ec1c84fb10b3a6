"""The callback integrations' tests run against the sandbox under both wire profiles."""

from __future__ import annotations

from wire_profiles import ligdicash_sandbox_server  # noqa: F401  (both wire profiles)
