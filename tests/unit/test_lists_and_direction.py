"""Names in the reader's alphabetical order (CLDR collation, from ICU), digits of the language's
numbering system, arrows in its reading direction."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import icu
import pytest
from babel import Locale
from babel.messages.pofile import read_po

from bot.core.i18n import (
    LOCALES_DIR,
    country_name,
    fmt_date,
    fmt_datetime,
    fmt_number,
    fmt_time,
    get_i18n,
    search_countries,
    sort_names,
    supported_languages,
)
from bot.kit.widgets import arrow

URDU_COUNTRIES = ["پاکستان", "بھارت", "افغانستان", "ایران", "چین", "نیپال", "بنگلہ دیش", "فلپائن"]


def test_urdu_names_follow_the_urdu_alphabet():
    ordered = sort_names(URDU_COUNTRIES, "ur")
    assert sorted(URDU_COUNTRIES)[-2:] == ["پاکستان", "چین"], "code points put پ and چ last"
    assert ordered == ["افغانستان", "ایران", "بنگلہ دیش", "بھارت", "پاکستان", "چین", "فلپائن", "نیپال"]


def test_french_accented_letters_sort_with_their_letter():
    names = ["Zambie", "États-Unis", "Espagne", "Égypte", "Estonie", "France"]
    assert sort_names(names, "fr") == ["Égypte", "Espagne", "Estonie", "États-Unis", "France", "Zambie"]


def test_japanese_names_in_icu_order_kana_before_kanji():
    names = [country_name(code, "ja") for code in ("JP", "PH", "KR", "CN", "TH", "VN", "US", "FR")]
    ordered = sort_names(names, "ja")
    assert ordered == sorted(names, key=icu.Collator.createInstance(icu.Locale("ja")).getSortKey)
    kanji = [bool(re.match(r"[\u4e00-\u9fff]", name)) for name in ordered]
    assert kanji == sorted(kanji), ordered


def test_a_language_icu_does_not_know_sorts_in_the_root_order():
    assert sort_names(["b", "Á", "a"], "xx") == ["a", "Á", "b"]


def test_equally_good_country_matches_read_alphabetically():
    """Names starting with the text typed come first, then names containing it, each group in
    the Urdu alphabet's order (پاکستان among the ب and ت names, not after them all)."""
    names = [country_name(code, "ur") for code in search_countries("ان", "ur", limit=20)]
    starting = [name for name in names if name.startswith("ان")]
    containing = names[len(starting) :]
    assert names[: len(starting)] == starting == sort_names(starting, "ur")
    assert "پاکستان" in containing and containing == sort_names(containing, "ur") != sorted(containing)


def _digit_scripts(text: str) -> set[str]:
    """`{"MYANMAR"}` for "၁၄:၃၅", `{"LATIN"}` for "14:35" (Unicode names those "DIGIT ONE")."""
    return {
        unicodedata.name(char).rsplit("DIGIT", 1)[0].strip() or "LATIN" for char in text if char.isdigit()
    }


# What CLDR gives (`Locale.default_numbering_system`): mymr, deva, beng; latn for the others.
NATIVE_DIGITS = {"my": "MYANMAR", "ne": "DEVANAGARI", "bn": "BENGALI"}


@pytest.mark.parametrize("language", supported_languages())
def test_dates_times_and_counts_use_the_digits_cldr_gives_the_language(language):
    assert (Locale.parse(language).default_numbering_system == "latn") == (language not in NATIVE_DIGITS)
    moment = datetime(2024, 7, 30, 14, 35, tzinfo=ZoneInfo("UTC"))
    for text in (
        fmt_date(date(2024, 7, 30), language, "long"),
        fmt_date(date(2024, 7, 30), language, "MMMEd"),
        fmt_time(time(14, 35), language),
        fmt_datetime(moment, language, ZoneInfo("Asia/Manila")),
        fmt_number(1234, language),
    ):
        assert _digit_scripts(text) == {NATIVE_DIGITS.get(language, "LATIN")}, (language, text)


def test_urdu_reads_latin_digits_everywhere():
    """CLDR's Urdu numbering system is `latn`: no Extended Arabic-Indic digit (۱۲۳) in what the
    bot writes, dates and times or catalog texts."""
    assert Locale.parse("ur").default_numbering_system == "latn"
    written = [
        fmt_date(date(2024, 7, 30), "ur", "full"),
        fmt_time(time(14, 35), "ur"),
        fmt_number(1234, "ur"),
    ]
    with (LOCALES_DIR / "ur" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        for message in read_po(po_file):
            written += list(message.string) if isinstance(message.string, tuple) else [message.string]
    assert not [text for text in written if re.search("[\u0660-\u0669\u06f0-\u06f9]", text)]
    assert "30" in written[0] and "2:35" in written[1]


def test_burmese_dates_and_counts_in_myanmar_digits():
    assert fmt_date(date(2024, 7, 30), "my", "long") == "၂၀၂၄ ဇူလိုင် ၃၀"
    assert fmt_time(time(14, 35), "my") == "၁၄:၃၅"
    assert fmt_number(1234, "my") == "၁,၂၃၄"


@pytest.mark.parametrize(
    ("language", "back", "forward", "previous", "next_"),
    [("en", "⬅️", "➡️", "‹", "›"), ("ja", "⬅️", "➡️", "‹", "›"), ("ur", "➡️", "⬅️", "›", "‹")],
)
def test_arrows_follow_the_reading_direction(language, back, forward, previous, next_):
    with get_i18n().use_locale(language):
        assert [arrow("back"), arrow("forward"), arrow("previous"), arrow("next")] == [
            back,
            forward,
            previous,
            next_,
        ]
