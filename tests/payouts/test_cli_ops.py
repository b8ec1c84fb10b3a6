"""``ligdicash status``, ``invoice create`` and ``payout`` in a subprocess against the sandbox."""

from __future__ import annotations

import json
from typing import Any

from cli_helpers import cli, sandbox_env


def test_invoice_create_prints_the_url_and_token_and_status_reads_it(
    ligdicash_sandbox: Any,
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    created = cli(
        "invoice", "create", "--amount", "1500", "--description", "Order 9", "--json", env=env
    )
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["payment_url"].startswith(ligdicash_sandbox.url)
    status = cli("status", data["token"], "--type", "payin", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "pending"
    ligdicash_sandbox.set_status(data["token"], "completed")
    waited = cli("status", data["token"], "--wait", "--timeout", "30", env=env)
    assert waited.returncode == 0
    assert waited.stdout.startswith("completed  1,500 XOF")


def test_payout_asks_first_unless_yes(ligdicash_sandbox: Any) -> None:
    env = sandbox_env(ligdicash_sandbox)
    args = ("payout", "--phone", "22670123456", "--amount", "500", "--type", "merchant")
    declined = cli(*args, env=env, stdin="n\n")
    assert declined.returncode == 1
    assert "Pay 500 XOF to 22670123456" in declined.stderr
    assert ligdicash_sandbox.transactions() == []
    sent = cli(*args, "--yes", "--json", env=env)
    assert sent.returncode == 0, sent.stderr
    token = json.loads(sent.stdout)["token"]
    assert ligdicash_sandbox.transaction(token)["amount"] == 500


def test_a_refused_payout_exits_1_on_one_line(ligdicash_sandbox: Any) -> None:
    result = cli(
        "payout",
        "--phone",
        "22670000404",
        "--amount",
        "500",
        "--type",
        "client",
        "--yes",
        env=sandbox_env(ligdicash_sandbox),
    )
    assert result.returncode == 1
    # The refusal on one line, after the one-line note that no --callback-url was given.
    warning, refusal = result.stderr.splitlines()
    assert warning.startswith("ligdicash: warning: this payout is created without callback_url")
    assert warning.endswith("Pass --callback-url (warned once per process)")
    assert refusal.startswith("ligdicash: [02] Customer not registered")
    assert "Traceback" not in result.stderr


def test_a_payout_whose_answer_is_lost_exits_5_and_says_not_to_resend(
    ligdicash_sandbox: Any,
) -> None:
    ligdicash_sandbox.add_fault("truncated_json", count=1, path="withdrawal/create")
    result = cli(
        "payout",
        "--phone",
        "22670123456",
        "--amount",
        "500",
        "--type",
        "client",
        "--yes",
        env=sandbox_env(ligdicash_sandbox),
    )
    assert result.returncode == 5  # in doubt (3 was also a network failure's)
    assert "MAY HAVE BEEN SENT" in result.stderr
    assert len(ligdicash_sandbox.transactions()) == 1


def test_bad_input_and_missing_credentials_exit_2_without_traceback(
    ligdicash_sandbox: Any,
) -> None:
    env = sandbox_env(ligdicash_sandbox)
    bad_phone = cli(
        "payout", "--phone", "abc", "--amount", "500", "--type", "client", "--yes", env=env
    )
    assert bad_phone.returncode == 2
    assert "Traceback" not in bad_phone.stderr
    no_creds = {k: v for k, v in env.items() if k != "LIGDICASH_API_KEY"}
    missing = cli("status", "TOKEN", env=no_creds)
    assert missing.returncode == 2
    assert missing.stderr.startswith("ligdicash: ")
    assert "Traceback" not in missing.stderr
    usage = cli("payout", "--amount", "x", env=env)
    assert usage.returncode == 2


def test_credentials_can_be_given_as_options(ligdicash_sandbox: Any) -> None:
    env = {k: v for k, v in sandbox_env(ligdicash_sandbox).items() if "LIGDICASH" not in k}
    result = cli(
        "invoice",
        "create",
        "--amount",
        "1000",
        "--description",
        "x",
        "--json",
        "--api-key",
        ligdicash_sandbox.api_key,
        "--auth-token",
        ligdicash_sandbox.auth_token,
        "--base-url",
        ligdicash_sandbox.base_url,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert ligdicash_sandbox.auth_token not in result.stdout + result.stderr
