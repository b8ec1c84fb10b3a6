"""OpenTelemetry stays optional: nothing of the SDK imports it until ``ligdicash.contrib.otel``
is imported, and without the extra that import says how to install it."""

from __future__ import annotations

import ast
import subprocess
import sys

CORE = (
    "import sys, ligdicash, ligdicash.contrib, ligdicash.payouts\n"
    "ligdicash.Client(api_key='k', auth_token='t')\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry'))\n"
)


def test_the_sdk_its_callbacks_and_payouts_never_import_opentelemetry() -> None:
    out = subprocess.run([sys.executable, "-c", CORE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_integration_loads_only_the_opentelemetry_api() -> None:
    code = (
        "import sys, ligdicash.contrib.otel\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('opentelemetry.')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout.strip()))
    assert "sdk" not in loaded  # the API alone: the application chooses its SDK
    assert {"trace", "metrics"} <= loaded


def test_without_the_extra_the_import_says_how_to_install_it() -> None:
    code = "import sys\nsys.modules['opentelemetry'] = None\nimport ligdicash.contrib.otel\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'ligdicash[otel]'" in out.stderr.strip().splitlines()[-1]
