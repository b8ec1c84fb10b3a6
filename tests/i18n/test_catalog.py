"""The message catalog of the CLI and the sandbox's pages: both languages say the same
things, and the language is chosen the way the docs say (locale, override, Accept-Language)."""

from __future__ import annotations

import string

import pytest

from ligdicash._i18n import (
    MESSAGES,
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
