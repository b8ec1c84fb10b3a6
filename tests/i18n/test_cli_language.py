"""The real ``ligdicash`` command, in a subprocess, speaks the user's locale: French for
``fr*``, English otherwise (C/POSIX/unset included), ``--lang`` and ``LIGDICASH_LANG`` win."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

import pytest

MAIN = "from ligdicash._cli import main; main()"


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIGDICASH_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")
    }
    env.update(extra)
    return env


def _cli(*args: str, env: dict[str, str], stdin: Optional[str] = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return result.stdout + result.stderr


RESOLVE = ("payouts", "resolve", "B-1", "--sent", "T", "--not-sent")
FR_RESOLVE = "ligdicash: donnez soit --sent TOKEN, soit --not-sent"
EN_RESOLVE = "ligdicash: give exactly one of --sent TOKEN or --not-sent"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "fr_FR.UTF-8"}, FR_RESOLVE),
        ({"LANG": "en_US.UTF-8"}, EN_RESOLVE),
        ({"LANG": "C.UTF-8"}, EN_RESOLVE),
        ({}, EN_RESOLVE),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "fr_CI.UTF-8"}, FR_RESOLVE),
        ({"LANG": "en_US.UTF-8", "LIGDICASH_LANG": "fr"}, FR_RESOLVE),
    ],
)
def test_a_usage_error_is_in_the_locale_language(env: dict[str, str], expected: str) -> None:
    assert _cli(*RESOLVE, env=_env(**env)).strip() == expected


def test_the_lang_option_overrides_the_locale() -> None:
    out = _cli(*RESOLVE[:3], "--lang", "en", *RESOLVE[3:], env=_env(LANG="fr_FR.UTF-8"))
    assert out.strip() == EN_RESOLVE
    out = _cli(*RESOLVE[:3], "--lang", "fr", *RESOLVE[3:], env=_env(LANG="en_US.UTF-8"))
    assert out.strip() == FR_RESOLVE


@pytest.mark.parametrize(
    ("lang", "question", "answer"),
    [
        ("fr_FR.UTF-8", "Payer 5\u202f000 XOF à 22670123456 (client) ? [o/N]", "non confirmé"),
        ("en_US.UTF-8", "Pay 5,000 XOF to 22670123456 (client)? [y/N]", "not confirmed"),
    ],
)
def test_a_payout_asks_and_declines_in_the_locale_language(
    lang: str, question: str, answer: str
) -> None:
    # Declining sends nothing, so no server is needed (the URL is never reached).
    env = _env(
        LANG=lang,
        LIGDICASH_API_KEY="k",
        LIGDICASH_AUTH_TOKEN="t",
        LIGDICASH_BASE_URL="http://127.0.0.1:9/pay/v01/",
    )
    args = ("payout", "--phone", "22670123456", "--amount", "5000", "--type", "client")
    out = _cli(*args, env=env, stdin="n\n")
    assert question in out
    assert f"ligdicash: {answer}" in out


@pytest.mark.parametrize(("lang", "answer"), [("fr_FR.UTF-8", "o\n"), ("fr_FR.UTF-8", "oui\n")])
def test_a_french_yes_confirms_the_payout(lang: str, answer: str) -> None:
    from ligdicash.sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig.fast()) as sandbox:
        env = _env(
            LANG=lang,
            LIGDICASH_API_KEY=sandbox.api_key,
            LIGDICASH_AUTH_TOKEN=sandbox.auth_token,
            LIGDICASH_BASE_URL=sandbox.base_url,
        )
        args = ("payout", "--phone", "22670123456", "--amount", "5000", "--type", "client")
        out = _cli(*args, env=env, stdin=answer)
        assert "envoyé ; token :" in out, out
        assert "invalid input" not in out.lower()
        assert len(sandbox.transactions()) == 1


def test_an_answer_that_is_neither_yes_nor_no_is_asked_again_in_french() -> None:
    env = _env(
        LANG="fr_FR.UTF-8",
        LIGDICASH_API_KEY="k",
        LIGDICASH_AUTH_TOKEN="t",
        LIGDICASH_BASE_URL="http://127.0.0.1:9/pay/v01/",
    )
    args = ("payout", "--phone", "22670123456", "--amount", "5000", "--type", "client")
    out = _cli(*args, env=env, stdin="peut-être\nnon\n")
    assert "Répondez o (oui) ou n (non)." in out
    assert out.count("[o/N]") == 2
    assert "ligdicash: non confirmé" in out
