"""Language matching, CLDR names and country search; catalogs complete, in step with the code and
safe to send (placeholders, HTML, emoji, plural forms, right-to-left text)."""

import gettext
import re
import unicodedata

import pytest
from babel.messages.pofile import read_po

from bot.core.event import load_event
from bot.core.i18n import (
    FSI,
    PDI,
    RLM,
    country_name,
    fmt_date,
    in_own_digits,
    isolate_for_rtl,
    language_name,
    match_language,
    paragraph_direction,
    search_countries,
    supported_languages,
    telegram_language_code,
)
from bot.core.i18n_check import (
    PLACEHOLDER,
    catalog_paths,
    catalog_problems,
    event_missing_texts,
    translation_problems,
)
from tests.support.app import EVENT_FILE
from tests.support.fake_telegram import check_telegram_html, load_spec

NATIVE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "fil": "Filipino",
    "id": "Bahasa Indonesia",
    "ms": "Bahasa Melayu",
    "th": "ไทย",
    "vi": "Tiếng Việt",
    "km": "ខ្មែរ",
    "my": "မြန်မာ",
    "mn": "Монгол",
    "ne": "नेपाली",
    "hi": "हिन्दी",
    "bn": "বাংলা",
    "ur": "اردو",
    "ja": "日本語",
    "ko": "한국어",
    "zh_Hant": "繁體中文",
}


def test_eighteen_languages_english_first_with_native_names():
    languages = supported_languages()
    assert languages[0] == "en" and set(languages) == set(NATIVE_NAMES)
    assert {code: language_name(code) for code in languages} == NATIVE_NAMES


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("es-419", "es"),
        ("EN-gb", "en"),
        ("tl", "fil"),  # Tagalog: how Telegram and many phones name Filipino
        ("fil", "fil"),
        ("fil-PH", "fil"),
        ("in", "id"),  # the old ISO code some Android versions still send
        ("id-ID", "id"),
        ("ms-MY", "ms"),
        ("ur-PK", "ur"),
        ("my", "my"),
        ("km-KH", "km"),
        ("ja-JP", "ja"),
        ("ko", "ko"),
        ("zh-hant", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant"),
        ("zh-TW", "zh_Hant"),
        ("zh-hk", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        # Traditional is the only Chinese: closer to a Simplified reader than English.
        ("zh", "zh_Hant"),
        ("zh-hans", "zh_Hant"),
        ("zh-CN", "zh_Hant"),
        ("en-US-u-ca-buddhist", "en"),
        ("pt-BR", None),  # not supported: English, and the picker is the first window
        ("und", None),
        ("x-klingon", None),
        ("xx", None),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_match_telegram_language_code(tag, expected):
    assert match_language(tag) == expected


def test_command_menus_use_two_letter_codes():
    """setMyCommands takes "a two-letter ISO 639-1 language code": `fil` is Telegram's `tl`."""
    spec = load_spec()["methods"]["setMyCommands"]
    [field] = [f for f in spec["fields"] if f["name"] == "language_code"]
    assert "two-letter ISO 639-1" in field["description"]
    codes = {language: telegram_language_code(language) for language in supported_languages()}
    assert codes["fil"] == "tl" and codes["zh_Hant"] == "zh" and codes["fr"] == "fr"
    assert all(re.fullmatch("[a-z]{2}", code) for code in codes.values()), codes
    assert len(set(codes.values())) == len(codes), "two languages would share one menu"
    # Users whose Telegram sends that code get that language.
    assert all(match_language(code) == language for language, code in codes.items())


def test_dates_in_every_language_use_the_language_s_own_pattern():
    from datetime import date

    day = date(2024, 7, 30)
    assert fmt_date(day, "en", "MMMEd") == "Tue, Jul 30"
    assert fmt_date(day, "ja", "MMMEd") == "7月30日(火)"
    assert fmt_date(day, "zh_Hant", "long") == "2024年7月30日"
    assert all(
        in_own_digits("30", language) in fmt_date(day, language, "MMMEd")
        for language in supported_languages()
    )


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


def test_plural_forms_of_every_catalog_compile():
    """A broken Plural-Forms header would make every ngettext() of that language fail."""
    for path in catalog_paths():
        with path.open("rb") as file:
            catalog = read_po(file, locale=path.parent.parent.name)
        plural = gettext.c2py(catalog.plural_expr)
        assert all(0 <= plural(n) < catalog.num_plurals for n in range(0, 1200)), path


@pytest.mark.parametrize(
    ("source", "translation", "problem"),
    [
        ("Hello {name}", "Bonjour {nom}", "placeholders"),
        ("Hello %(name)s", "Bonjour", "placeholders"),
        ("<b>Your data</b>", "Vos données", "HTML"),
        ("<b>Your data</b>", "<i>Vos données</i>", "HTML"),
        ("Use &lt;b&gt;", "Utilisez <b>", "HTML"),
        ("✅ Saved", "Enregistré", "emoji"),
        ("✅ Saved", "☑️ Enregistré", "emoji"),
        ("\n\nYou can change", "\nVous pouvez", "newlines"),
    ],
)
def test_translation_must_keep_placeholders_html_emoji_and_edge_newlines(source, translation, problem):
    [found] = translation_problems(source, translation)
    assert found.startswith(problem)
    assert translation_problems(source, source) == []


def test_translation_may_reorder_what_it_keeps():
    assert translation_problems("✅ <b>{code}</b> for {name}", "{name} のための <b>{code}</b> ✅") == []


def _catalog_strings():
    for path in catalog_paths():
        language = path.parent.parent.name
        with path.open("rb") as file:
            for message in read_po(file, locale=language):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for string in strings:
                    if message.id and string:
                        yield language, message.id, string


def test_every_translation_is_html_telegram_accepts():
    """Each translation, its placeholders filled, parses as Telegram's HTML parse mode."""
    failures = []
    for language, msgid, string in _catalog_strings():
        _plain, error = check_telegram_html(PLACEHOLDER.sub("x", string))
        if error:
            failures.append(f"{language}: {msgid!r}: {error}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize(
    ("translation", "values", "expected"),
    [
        # A line starting with a value: isolated, and the line is marked right-to-left.
        (
            "<b>{label}:</b> {value}",
            {"label": "ای میل", "value": "ana@example.org"},
            f"{RLM}<b>{FSI}ای میل{PDI}:</b> {FSI}ana@example.org{PDI}",
        ),
        # A phone number keeps its order inside Urdu text.
        ("محفوظ: {phone}", {"phone": "+63 917 123 4567"}, f"محفوظ: {FSI}+63 917 123 4567{PDI}"),
        # A command at the start of a line: the line stays right-to-left.
        ("/start سے دوبارہ", {}, f"{RLM}/start سے دوبارہ"),
        # A value alone on its line is its own paragraph: left as it is.
        ("<b>آپ کا ڈیٹا</b>\n\n{notice}", {"notice": "…"}, "<b>آپ کا ڈیٹا</b>\n\n…"),
        # Attribute values are never touched.
        ('<a href="{url}">لنک</a>', {"url": "https://t.me/x"}, '<a href="https://t.me/x">لنک</a>'),
    ],
)
def test_right_to_left_translations_isolate_values(translation, values, expected):
    rendered = isolate_for_rtl(translation).format_map(values)
    assert rendered == expected
    plain, error = check_telegram_html(rendered)
    assert error is None
    for line in plain.split("\n"):
        if any(unicodedata.bidirectional(char) == "AL" for char in line) and line != values.get("notice"):
            assert paragraph_direction(line) == "R", line


def test_urdu_catalog_reads_right_to_left():
    """Every Urdu message, values filled with Latin text, reads right-to-left line by line."""
    from bot.core.i18n import get_i18n

    catalog = get_i18n().locales["ur"]
    for msgid in {msgid for language, msgid, _string in _catalog_strings() if language == "ur"}:
        rendered = catalog.gettext(msgid)
        if rendered == msgid:
            continue  # untranslated: English, left to right
        plain, error = check_telegram_html(PLACEHOLDER.sub("Ana 2024-07-30", rendered))
        assert error is None, msgid
        for line in plain.split("\n"):
            if any(unicodedata.bidirectional(char) == "AL" for char in line):
                assert paragraph_direction(line) == "R", (msgid, line)
        # Digits spaced like a phone number are never left bare in right-to-left text.
        bare = re.sub("\u2066[^\u2069]*\u2069|\u2068[^\u2069]*\u2069", "", rendered)
        assert not re.search(r"\d+ \d+ \d+", bare), msgid


def test_event_texts_delegates_read_first_are_in_every_language():
    """Name, city, privacy notice, the form (questions, options, skip buttons) and the placeholders
    for venue and hotel."""
    missing = event_missing_texts(load_event(EVENT_FILE), supported_languages())
    owned = (
        "name",
        "city",
        "privacy.notice",
        "form[",
        "venue.name",
        "venue.address",
        "hotel.name",
    )
    assert not {where: langs for where, langs in missing.items() if where.startswith(owned)}


def test_event_missing_texts_names_the_field_and_the_languages():
    from bot.core.event import Event

    raw = load_event(EVENT_FILE).model_dump(by_alias=True)
    role = next(question for question in raw["form"]["questions"] if question["id"] == "role")
    role["options"][0]["label"] = {"en": "Delegate", "fr": "Délégué·e"}
    missing = event_missing_texts(Event.model_validate(raw), ["en", "fr", "ja"])
    assert missing["form[role].options[delegate].label"] == ["ja"]
    assert "form[role].options[observer].label" not in missing


def test_catalogs_complete_and_in_step_with_the_code():
    problems = catalog_problems()
    assert not problems, "\n".join(f"{p.catalog}: {p.what}: {p.msgid!r}" for p in problems[:20])
