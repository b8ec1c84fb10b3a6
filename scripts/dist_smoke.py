"""Smoke test of an INSTALLED ligdicash (run by scripts/check_dist.sh from outside the repo).

Imports every public name, builds a ``Client`` against an in-process ``Sandbox``, makes one
hosted payment, completes it through the sandbox's control handle and checks its status.
Fails (exit 1) when the package imported is not the installed one.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import ligdicash
from ligdicash.sandbox import Sandbox, SandboxConfig


def main() -> int:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(ligdicash.__file__).resolve()
    if site not in where.parents:
        print(f"ligdicash imported from {where}, not from {site}", file=sys.stderr)
        return 1
    missing = [name for name in ligdicash.__all__ if not hasattr(ligdicash, name)]
    if missing:
        print(f"public names that do not resolve: {missing}", file=sys.stderr)
        return 1
    with (
        Sandbox(SandboxConfig.fast()) as sandbox,
        ligdicash.Client(
            api_key=sandbox.api_key, auth_token=sandbox.auth_token, base_url=sandbox.base_url
        ) as client,
    ):
        invoice = client.Invoice(description="Smoke test")
        invoice.add_item(name="Tea", description="", quantity=2, unit_price=500)
        response = invoice.pay_with_redirection(
            return_url="https://shop.example/ok",
            cancel_url="https://shop.example/cancel",
            callback_url="https://shop.example/callback",
            custom_data={"transaction_id": "SMOKE-1"},
        )
        sandbox.set_status(response.token, "completed")
        transaction = client.get_transaction(response.token, "payin")
    if (transaction.status, transaction.amount) != ("completed", 1000):
        print(f"unexpected transaction: {transaction!r}", file=sys.stderr)
        return 1
    print(
        f"ligdicash {ligdicash.__version__} from {where.parent}: {len(ligdicash.__all__)} "
        f"public names, payment {transaction.status} for {transaction.amount} XOF"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
