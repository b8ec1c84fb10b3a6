"""The message catalog of the CLI and the sandbox's pages: both languages say the same
things, and the language is chosen the way the docs say (locale, override, Accept-Language)."""

from __future__ import annotations

import string
from typing import Any

import pytest

from ligdicash._i18n import (
    MESSAGES,
    answer_is_yes,
    format_amount,
    format_rate,
    language_from_environ,
    language_from_request,
    message,
    normalize,
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_the_same_fields() -> None:
    assert set(MESSAGES) == {"en", "fr"}
    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])
    for key, english in MESSAGES["en"].items():
        assert _fields(MESSAGES["fr"][key]) == _fields(english), key
        assert MESSAGES["fr"][key].strip(), key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fr", "fr"),
        ("fr_FR.UTF-8", "fr"),
        ("fr-CA", "fr"),
        ("FR", "fr"),
        ("en_US.UTF-8", "en"),
        ("C", None),
        ("POSIX", None),
        ("de_DE", None),
        ("", None),
        (None, None),
    ],
)
def test_locale_names_and_language_tags_normalize(value: str | None, expected: str) -> None:
    assert normalize(value) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_BF.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        # POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG.
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
        ({"LC_MESSAGES": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LC_ALL": "fr_SN.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
        # The override wins; a value it does not know is ignored.
        ({"LANG": "en_US.UTF-8", "LIGDICASH_LANG": "fr"}, "fr"),
        ({"LC_ALL": "fr_FR.UTF-8", "LIGDICASH_LANG": "en"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LIGDICASH_LANG": "wolof"}, "fr"),
    ],
)
def test_the_cli_language_follows_the_environment(environ: dict[str, str], expected: str) -> None:
    assert language_from_environ(environ) == expected


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        (None, None, "en"),
        ("", None, "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", None, "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", None, "en"),
        ("de-DE,fr;q=0.5,en;q=0.4", None, "fr"),
        ("en;q=0.3,fr;q=0.7", None, "fr"),
        ("fr;q=0,en;q=0.1", None, "en"),
        ("fr;q=abc,en", None, "en"),
        ("*", None, "en"),
        (";;;,,,q=", None, "en"),
        ("x" * 5000, None, "en"),
        ("en-US", "fr", "fr"),
        ("fr-FR", "en", "en"),
        ("fr-FR", "klingon", "fr"),
    ],
)
def test_a_page_language_follows_accept_language_and_the_lang_parameter(
    header: str | None, override: str | None, expected: str
) -> None:
    assert language_from_request(header, override) == expected


def test_a_message_is_filled_in_and_an_unknown_language_falls_back_to_english() -> None:
    assert message("fr", "cli.payout_sent", token="T1") == "envoyé ; token : T1"
    assert message("de", "page.pay") == "Pay"
    with pytest.raises(KeyError):
        message("en", "no.such.key")


@pytest.mark.parametrize(
    ("header", "override", "default", "expected"),
    [
        (None, None, "fr", "fr"),
        ("de-DE", None, "fr", "fr"),
        ("en-US", None, "fr", "en"),
        (None, "en", "fr", "en"),
        (None, None, "klingon", "en"),
    ],
)
def test_a_page_with_no_language_of_ours_gets_the_default_it_is_given(
    header: str | None, override: str | None, default: str, expected: str
) -> None:
    assert language_from_request(header, override, default=default) == expected


# --- the gettext catalogs, numbers, answers ---------------------------------------------------


def _i18n_script() -> Any:
    import importlib.util
    import sys
    from pathlib import Path

    pytest.importorskip("babel", reason="scripts/i18n.py reads the .po files with Babel")
    path = Path(__file__).resolve().parents[2] / "scripts" / "i18n.py"
    spec = importlib.util.spec_from_file_location("i18n_script", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["i18n_script"] = module
    spec.loader.exec_module(module)
    return module


def test_every_compiled_catalog_is_fresh_and_both_languages_have_every_message() -> None:
    assert _i18n_script().problems() == []


def test_the_catalogs_are_what_message_reads(tmp_path: Any) -> None:
    script = _i18n_script()
    for language in ("en", "fr"):
        source = {m.id: m.string for m in script.load(language) if m.id}
        assert source == MESSAGES[language]


def test_a_message_in_one_language_only_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _i18n_script()
    real_load = script.load

    def load(language: str) -> Any:
        catalog = real_load(language)
        if language == "en":
            catalog.add("cli.only_english", "only in English")
        return catalog

    monkeypatch.setattr(script, "load", load)
    found = script.problems()
    assert "fr: no text for cli.only_english" in found
    assert any("en/LC_MESSAGES/ligdicash.mo is stale" in problem for problem in found)


def test_an_old_style_table_is_carried_over_without_importing_it(tmp_path: Any) -> None:
    old = tmp_path / "_i18n.py"
    old.write_text(
        'import nothing_that_exists\nMESSAGES: dict = {"en": {"cli.x": "Send {n}?"}, '
        '"fr": {"cli.x": "Envoyer {n} ?"}}\n',
        "utf-8",
    )
    assert _i18n_script().old_table(old) == {
        "en": {"cli.x": "Send {n}?"},
        "fr": {"cli.x": "Envoyer {n} ?"},
    }


def test_an_unknown_key_is_a_key_error_and_an_unknown_language_is_english() -> None:
    with pytest.raises(KeyError):
        message("fr", "cli.no_such_message")
    assert message("de", "cli.not_confirmed") == message("en", "cli.not_confirmed")


@pytest.mark.parametrize(
    ("language", "amount", "rate", "amount_text", "rate_text"),
    [
        ("en", 5015, 1.84, "5,015", "1.8"),
        ("fr", 5015, 1.84, "5\u202f015", "1,8"),
        ("fr", 1_000_000, 12.0, "1\u202f000\u202f000", "12,0"),
        ("fr", 500, 0.05, "500", "0,1"),
        ("de", 5015, 1.84, "5,015", "1.8"),
    ],
)
def test_amounts_and_rates_are_written_the_way_the_language_writes_them(
    language: str, amount: int, rate: float, amount_text: str, rate_text: str
) -> None:
    assert format_amount(amount, language) == amount_text
    assert format_rate(rate, language) == rate_text


def test_the_french_format_is_cldrs_as_babel_writes_it() -> None:
    numbers = pytest.importorskip("babel.numbers")
    for value in (0, 7, 5015, 31500, 1_000_000, 123_456_789):
        assert format_amount(value, "fr") == numbers.format_decimal(value, locale="fr_FR")
        assert format_amount(value, "en") == numbers.format_decimal(value, locale="en_US")
    assert format_rate(1.8, "fr") == numbers.format_decimal(1.8, locale="fr_FR")


@pytest.mark.parametrize(
    ("answer", "language", "expected"),
    [
        ("o", "fr", True),
        ("oui", "fr", True),
        (" OUI ", "fr", True),
        ("y", "fr", True),
        ("n", "fr", False),
        ("non", "fr", False),
        ("", "fr", False),
        ("o", "en", None),
        ("y", "en", True),
        ("yes", "en", True),
        ("no", "en", False),
        ("peut-être", "fr", None),
    ],
)
def test_a_confirmation_answer_is_read_in_the_prompts_language(
    answer: str, language: str, expected: bool | None
) -> None:
    assert answer_is_yes(answer, language) is expected
