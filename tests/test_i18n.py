"""Language matching, CLDR names and country search; catalogs complete and in step with the code."""

import pytest

from bot.i18n import country_name, language_name, match_language, search_countries, supported_languages
from bot.i18n_tools import catalog_problems


def test_supported_languages_start_with_english():
    languages = supported_languages()
    assert languages[0] == "en" and {"fr", "es"} <= set(languages)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("es-419", "es"),
        ("EN-gb", "en"),
        ("xx", None),
        (None, None),
        ("", None),
    ],
)
def test_match_telegram_language_code(tag, expected):
    assert match_language(tag) == expected


def test_native_language_names():
    assert language_name("fr") == "Français" and language_name("es") == "Español"


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("philip", "en", "PH"),
        ("Philipines", "en", "PH"),  # typo
        ("indonésie", "fr", "ID"),
        ("Allemagne", "fr", "DE"),
        ("alemania", "es", "DE"),
        ("germany", "es", "DE"),  # English always works
        ("corée du sud", "fr", "KR"),
        ("nepal", "fr", "NP"),
    ],
)
def test_country_search(query, language, expected):
    assert search_countries(query, language)[0] == expected


def test_country_search_ignores_noise():
    assert search_countries("x", "en") == []
    assert search_countries("qqqqzzzz", "en") == []
    assert country_name("PH", "fr") == "Philippines" and country_name("DE", "es") == "Alemania"


def test_catalogs_complete_and_in_step_with_the_code():
    problems = catalog_problems()
    assert not problems, "\n".join(f"{p.catalog}: {p.what}: {p.msgid!r}" for p in problems[:20])
