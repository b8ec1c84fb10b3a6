"""The words the CLI and the sandbox's pages show people, in French and English, and the
numbers in them.

The words are gettext catalogs (stdlib ``gettext``): ``locale/<language>/LC_MESSAGES/
ligdicash.po``, compiled to the ``.mo`` beside it, loaded once per language. Message ids
are keys (``cli.confirm_batch``), the texts ``str.format`` templates with the same fields in
both languages. The SDK's exception messages are not here: they go to logs and stay English.

**Adding a message**: ``python scripts/i18n.py add KEY "English text" "texte français"``
(it writes both ``.po`` files and compiles the ``.mo``), then ``message(language, KEY,
**fields)``. ``tests/i18n/test_catalog.py`` fails when a language lacks a key, when the
fields differ between languages, or when a ``.mo`` is older than its ``.po``. Entries of an
old-style ``MESSAGES`` table (a branch written before the catalogs) are carried over with
``python scripts/i18n.py import OLD_I18N_PY``.

Numbers are formatted here too, per language, as CLDR (Unicode's locale data) has them:
``5,015`` and ``1.8`` in English, ``5\u202f015`` (a narrow no-break space) and ``1,8`` in
French. Babel formats them the same way (a test checks that we agree) but would add about
70 ms to every run of the CLI that prints an amount (import and French locale data), where
the catalogs cost about 2 ms more than the Python table they replaced
(``benchmarks/i18n_cost.py``, medians on a loaded 2-core machine: 9.2 ms for the catalog
and a message, 7.1 for the old table, 77 for Babel's import and first French format).

- The CLI picks its language from ``--lang``, else ``LIGDICASH_LANG``, else the POSIX locale
  (the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): ``fr*`` is French, anything else
  (``C``, ``POSIX``, unset, ``en_US``...) English.
- The sandbox's payment page and dashboard pick theirs from ``?lang=``, else the browser's
  ``Accept-Language`` (by preference weight), else the sandbox's default (English, or the
  language of ``ligdicash sandbox``: its ``--lang``, else the environment's as above).
"""

from __future__ import annotations

import functools
import gettext
import os
from collections.abc import Mapping
from typing import Any, Optional

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LANG_ENV = "LIGDICASH_LANG"
DOMAIN = "ligdicash"
# os.path, not pathlib: pathlib (with urllib.parse, ipaddress) would add 5 to 20 ms to every
# run of the CLI, which does not import it otherwise.
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

# Thousands separator and decimal mark per language (CLDR's: a narrow no-break space in French).
_SEPARATORS = {"en": (",", "."), "fr": ("\u202f", ",")}
# The answers a confirmation prompt accepts, per language (English ones are always understood).
YES = {"en": ("y", "yes"), "fr": ("o", "oui", "y", "yes")}
NO = {"en": ("n", "no"), "fr": ("n", "non", "no")}


@functools.cache
def _catalog(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``language`` (one of :data:`LANGUAGES`), read once."""
    with open(os.path.join(LOCALE_DIR, language, "LC_MESSAGES", f"{DOMAIN}.mo"), "rb") as handle:
        return gettext.GNUTranslations(handle)


def message_keys() -> list[str]:
    """Every message key, sorted (the English catalog's; the other languages have the same)."""
    # The parsed catalog is GNUTranslations' ``_catalog`` (Django's JavaScript catalog reads
    # it the same way); the empty id is the header.
    parsed = getattr(_catalog(DEFAULT), "_catalog")  # noqa: B009 - not in typeshed
    return sorted(key for key in parsed if isinstance(key, str) and key)


def __getattr__(name: str) -> Any:
    # ``MESSAGES``, the table these catalogs replaced, read-only: {language: {key: text}}.
    if name == "MESSAGES":
        return {lang: {key: message(lang, key) for key in message_keys()} for lang in LANGUAGES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def format_number(value: float, language: str, *, decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals and the separators of ``language``
    (``5,015.5`` in English, ``5\u202f015,5`` in French; English for another language)."""
    group, mark = _SEPARATORS.get(language, _SEPARATORS[DEFAULT])
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", mark).replace("\0", group)


def format_amount(amount: int, language: str) -> str:
    """A whole amount of CFA francs for people: ``31,500`` / ``31\u202f500`` (no currency:
    the messages say ``XOF``)."""
    return format_number(amount, language)


def format_rate(rate: float, language: str) -> str:
    """A rate per second with one decimal: ``1.8`` / ``1,8``."""
    return format_number(rate, language, decimals=1)


def answer_is_yes(answer: str, language: str) -> Optional[bool]:
    """True for a yes of ``language`` (``o``/``oui`` in French, ``y``/``yes`` in any), False
    for a no or an empty answer, None for anything else (ask again)."""
    word = answer.strip().lower()
    if word in YES.get(language, YES[DEFAULT]):
        return True
    if not word or word in NO.get(language, NO[DEFAULT]):
        return False
    return None


def normalize(value: Optional[str]) -> Optional[str]:
    """``"fr"`` or ``"en"`` for a language tag or locale name (``fr_FR.UTF-8``, ``en-US``,
    ``FR``), None for anything else (``C``, ``POSIX``, ``de_DE``, empty)."""
    if not value:
        return None
    primary = value.strip().lower().replace("-", "_").split("_", 1)[0].split(".", 1)[0]
    return primary if primary in LANGUAGES else None


def language_from_environ(environ: Optional[Mapping[str, str]] = None) -> str:
    """The CLI's language: ``LIGDICASH_LANG`` if it names one, else the POSIX locale.

    As POSIX decides which variable wins, the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set is the locale; ``fr*`` is French, anything else English.
    """
    env = os.environ if environ is None else environ
    override = normalize(env.get(LANG_ENV))
    if override:
        return override
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "fr" if normalize(value) == "fr" else DEFAULT
    return DEFAULT


def language_from_request(
    accept_language: Optional[str], override: Optional[str] = None, default: str = DEFAULT
) -> str:
    """A page's language: ``?lang=`` if it names one, else the best of ``Accept-Language``,
    else ``default`` (a sandbox's ``SandboxConfig.language``: ``ligdicash sandbox --lang``).

    ``Accept-Language: fr-FR,fr;q=0.9,en;q=0.8`` gives ``"fr"``; tags we do not have are
    skipped; a malformed header counts as absent (never an error: the page must render).
    """
    chosen = normalize(override)
    if chosen:
        return chosen
    best: Optional[tuple[float, int, str]] = None
    for position, part in enumerate((accept_language or "")[:1000].split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        language = normalize(tag)
        if language is None:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if not 0 < weight <= 1:
            continue
        candidate = (-weight, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else (normalize(default) or DEFAULT)


def message(language: str, key: str, **fields: Any) -> str:
    """The message ``key`` in ``language`` (English for a language we do not have), with
    ``fields`` filled in. Raises ``KeyError`` for an unknown key (a bug, caught by tests)."""
    catalog = _catalog(language if language in LANGUAGES else DEFAULT)
    text = catalog.gettext(key)
    if text == key:  # gettext answers the id itself when the catalog lacks it
        raise KeyError(key)
    return text.format(**fields) if fields else text
