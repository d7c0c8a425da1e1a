"""Dates typed in the delegate's own order, words and digits; names checked as a passport has them."""

from datetime import date

import pytest

from bot.core import input_checks as parse
from bot.core.input_checks import InvalidAnswer

# The travel window of the Manila event (30-31 July 2024): a month either side.
WINDOW = (date(2024, 6, 30), date(2024, 8, 30))
JULY_28 = date(2024, 7, 28)

DAY_MONTH = "Please type the date as day/month, for example {example}."
MONTH_DAY = "Please type the date as month/day, for example {example}."
NO_SUCH_DATE = "There is no such date as {typed}. Please check the day and the month."
OUT_OF_RANGE = "Please give a date between {earliest} and {latest}."


def refusal(typed: str, language: str, window: tuple[date, date] = WINDOW) -> InvalidAnswer:
    with pytest.raises(InvalidAnswer) as caught:
        parse.parse_date(typed, *window, language=language)
    return caught.value


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        # Numbers, in the language's order, with / . - or spaces, with or without the year.
        ("en", "7/28"),
        ("en", "07/28/2024"),
        ("en", "7-28-24"),
        ("fr", "28/07"),
        ("fr", "28.07.2024"),
        ("fr", "28 07 24"),
        ("es", "28-7-2024"),
        ("vi", "28/7"),
        ("hi", "28/7/2024"),
        ("th", "28/7"),
        ("ja", "7/28"),
        ("ja", "2024/07/28"),
        ("ko", "24. 7. 28."),
        ("zh_Hant", "2024/7/28"),
        # Year first, whatever the language.
        ("en", "2024-07-28"),
        ("fr", "2024/7/28"),
        ("vi", "2024.07.28"),
        # Only one reading is a date: 28 cannot be a month.
        ("en", "28/7"),
        ("en", "28.07.2024"),
        ("fr", "7/28"),
        ("es", "7/28/2024"),
        ("ja", "28/7"),
        # A two-digit year far from the window was a day: 28/07/24 in Japanese (year first).
        ("ja", "28/07/24"),
        # Month names: the language's and English, wide or abbreviated, any case, either order.
        ("en", "Jul 28"),
        ("en", "jul. 28"),
        ("en", "July 28th"),
        ("en", "28th of July"),
        ("en", "the 28th of July 2024"),
        ("en", "28 Jul 2024"),
        ("en", "July 28, 2024"),
        ("en", "Sun, Jul 28"),
        ("fr", "28 juillet"),
        ("fr", "juillet 28"),
        ("fr", "28 JUILLET 2024"),
        ("fr", "28 juil."),
        ("fr", "dim. 28 juil."),
        ("fr", "dimanche 28 juillet"),
        ("fr", "28 July"),
        ("es", "28 de julio"),
        ("es", "28 de julio de 2024"),
        ("es", "dom, 28 jul"),
        ("es", "Julio 28"),
        ("vi", "28 tháng 7"),
        ("vi", "28 thang 7"),
        ("vi", "Chủ Nhật, 28 thg 7, 2024"),
        ("hi", "28 जुलाई"),
        ("hi", "28 जुल॰ 2024"),
        ("th", "28 กรกฎาคม"),
        ("th", "28 ก.ค."),
        ("th", "28 ก.ค. 2567"),  # the Buddhist era
        ("th", "Jul 28"),
        ("ko", "July 28"),
        # Chinese, Japanese, Korean: numbers with their units, a weekday in brackets ignored.
        ("ja", "7月28日"),
        ("ja", "7月28日(日)"),
        ("ja", "7月28日（日）"),
        ("ja", "2024年7月28日"),
        ("ja", "７月２８日"),
        ("zh_Hant", "7月28日"),
        ("zh_Hant", "2024年7月28日 星期日"),
        ("ko", "7월 28일"),
        ("ko", "7월 28일 (일)"),
        ("ko", "2024년 7월 28일"),
        ("en", "7月28日"),
        # The delegate's own digits.
        ("th", "๒๘/๗"),
        ("th", "๒๘ ก.ค. ๒๕๖๗"),
        ("hi", "२८/७"),
        ("ne", "७/२८"),
        ("bn", "২৮/৭"),
        ("bn", "২৮ জুলাই"),
        ("my", "၂၈/၇"),
        ("my", "၂၈ ဇူလိုင်"),
        ("km", "២៨/៧"),
        ("mn", "7-р сарын 28"),
        ("mn", "2024 оны долоодугаар сарын 28"),
    ],
)
def test_typed_dates_are_read(language, typed):
    assert parse.parse_date(typed, *WINDOW, language=language) == JULY_28


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        # Both readings are dates: the language's order decides.
        ("en", "7/8", date(2024, 7, 8)),
        ("fil", "7/8", date(2024, 7, 8)),
        ("ja", "7/8", date(2024, 7, 8)),
        ("ko", "7. 8.", date(2024, 7, 8)),
        ("zh_Hant", "7/8", date(2024, 7, 8)),
        ("fr", "7/8", date(2024, 8, 7)),
        ("es", "7/8", date(2024, 8, 7)),
        ("vi", "7/8", date(2024, 8, 7)),
        ("th", "7/8", date(2024, 8, 7)),
        ("hi", "7.8.2024", date(2024, 8, 7)),
        ("en", "07/08/24", date(2024, 7, 8)),
        ("fr", "07/08/24", date(2024, 8, 7)),
        # A language Babel does not know reads as English.
        ("xx", "7/8", date(2024, 7, 8)),
    ],
)
def test_an_ambiguous_date_follows_the_language(language, typed, expected):
    assert parse.parse_date(typed, *WINDOW, language=language) == expected


def test_mar_is_march_alone_and_tuesday_beside_a_month():
    spring = (date(2024, 3, 1), date(2024, 8, 30))
    assert parse.parse_date("Mar 12", *spring, language="fil") == date(2024, 3, 12)
    assert parse.parse_date("mar, 30 jul", *spring, language="es") == date(2024, 7, 30)
    assert parse.parse_date("mar. 30 juil.", *spring, language="fr") == date(2024, 7, 30)


def test_a_date_without_year_takes_the_year_of_the_window():
    new_year = (date(2024, 12, 1), date(2025, 12, 1))
    assert parse.parse_date("5 Jan", *new_year, language="en") == date(2025, 1, 5)
    assert parse.parse_date("20/12", *new_year, language="fr") == date(2024, 12, 20)
    assert parse.parse_date("29/02", date(2024, 2, 1), date(2024, 3, 1), language="fr") == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("en", "31/02"),
        ("en", "2/31"),
        ("en", "31/02/2024"),
        ("fr", "31/02"),
        ("fr", "30 février"),
        ("fr", "30 fevrier 2024"),
        ("fr", "31 juin"),
        ("es", "31 de junio"),
        ("ja", "2月30日"),
        ("ko", "2월 30일"),
        ("zh_Hant", "2024年2月31日"),
        ("th", "๓๑/๐๖"),
        ("hi", "31 जून"),
        ("vi", "31/6"),
        ("en", "Feb 29 2025"),
    ],
)
def test_a_date_the_calendar_lacks_is_named(language, typed):
    error = refusal(typed, language)
    assert error.msgid == NO_SUCH_DATE
    assert error.values == {"typed": typed}


def test_29_february_without_a_leap_year_in_the_window():
    error = refusal("29/02", "fr", (date(2025, 2, 1), date(2025, 3, 1)))
    assert error.msgid == NO_SUCH_DATE


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("en", "29/07/2023"),
        ("en", "1/1/2025"),
        ("fr", "1er janvier"),
        ("ja", "2024年12月25日"),
        ("ko", "9월 30일"),
        ("vi", "1/6/2024"),
        ("en", "2024-09-01"),
    ],
)
def test_a_date_outside_the_window(language, typed):
    error = refusal(typed, language)
    assert error.msgid == OUT_OF_RANGE
    assert error.values == {"earliest": WINDOW[0], "latest": WINDOW[1]}


def test_both_orders_valid_but_the_language_one_outside_is_not_swapped():
    # 8/7 is 7 August in English: outside a July window, not quietly read as 8 July.
    july = (date(2024, 7, 1), date(2024, 7, 31))
    assert refusal("8/7", "en", july).msgid == OUT_OF_RANGE
    assert parse.parse_date("8/7", *july, language="fr") == date(2024, 7, 8)


@pytest.mark.parametrize(
    ("language", "typed", "msgid", "example"),
    [
        ("en", "tomorrow", MONTH_DAY, "7/30"),
        ("fil", "bukas", MONTH_DAY, "7/30"),
        ("ja", "明日", MONTH_DAY, "07/30"),
        ("ko", "내일", MONTH_DAY, "7. 30."),
        ("zh_Hant", "明天", MONTH_DAY, "7/30"),
        ("ne", "भोलि", MONTH_DAY, "७/३०"),
        ("fr", "demain", DAY_MONTH, "30/07"),
        ("es", "mañana", DAY_MONTH, "30/7"),
        ("vi", "ngày mai", DAY_MONTH, "30/7"),
        ("th", "พรุ่งนี้", DAY_MONTH, "30/7"),
        ("hi", "कल", DAY_MONTH, "30/7"),
        ("bn", "আগামীকাল", DAY_MONTH, "৩০/৭"),
        ("en", "2024-13-01", MONTH_DAY, "7/30"),
        ("en", "13/13", MONTH_DAY, "7/30"),
        ("fr", "28", DAY_MONTH, "30/07"),
        ("fr", "juillet", DAY_MONTH, "30/07"),
        ("en", "July August 28", MONTH_DAY, "7/30"),
        ("en", "28/7/2024/1", MONTH_DAY, "7/30"),
        ("en", "123/7", MONTH_DAY, "7/30"),
        ("en", "Julyx 28", MONTH_DAY, "7/30"),
        ("en", "", MONTH_DAY, "7/30"),
    ],
)
def test_what_is_not_a_date_gets_an_example_in_the_language_order(language, typed, msgid, example):
    error = refusal(typed, language)
    assert error.msgid == msgid
    assert error.values == {"example": example}
    # The example itself is read back as a date of the window.
    assert parse.parse_date(example, *WINDOW, language=language) == date(2024, 7, 30)


def test_the_example_has_a_day_that_cannot_be_a_month():
    error = refusal("soon", "fr", (date(2024, 7, 1), date(2024, 7, 9)))
    assert error.values == {"example": "20/07"}


# Names


@pytest.mark.parametrize(
    "typed",
    [
        "Nguyễn Thị Minh Khai",
        "O'Brien",
        "O’Brien",
        "Jean-Pierre",
        "Ma. Cristina",
        "อนุชา",
        "田中 太郎",
        "محمد علی",
        "Иван Петров",
        "नरेंद्र मोदी",
        "Zoë Ångström",
        "Nguye\u0302\u0303n Van A",  # decomposed accents: combining marks
    ],
)
def test_names_in_any_script_are_accepted(typed):
    assert parse.parse_name(typed) == typed


@pytest.mark.parametrize(
    ("typed", "msgid", "values"),
    [
        (
            "¿dónde se celebra el evento?",
            "That looks like a question, not a name. Please type your full name, as written in your passport.",
            {},
        ),
        (
            "Where is the hotel？",
            "That looks like a question, not a name. Please type your full name, as written in your passport.",
            {},
        ),
        (
            "متى يبدأ الحدث؟",
            "That looks like a question, not a name. Please type your full name, as written in your passport.",
            {},
        ),
        (
            "Marie & <i>Claire</i>",
            "Names cannot contain: {characters}. Please type your full name, as written in your passport.",
            {"characters": "& < > /"},
        ),
        (
            "Anna, Maria",
            "Names cannot contain: {characters}. Please type your full name, as written in your passport.",
            {"characters": ","},
        ),
        (
            "Ana Reyes 😀",
            "Names cannot contain: {characters}. Please type your full name, as written in your passport.",
            {"characters": "😀"},
        ),
        (
            "ana@party.org",
            "Names cannot contain: {characters}. Please type your full name, as written in your passport.",
            {"characters": "@"},
        ),
        ("Agent 007", "Please type your full name in letters, as written in your passport.", {}),
        ("A", "Please type your full name in letters, as written in your passport.", {}),
        ("/start", "Please type your full name in letters, as written in your passport.", {}),
        ("x" * 121, "That is too long for a name ({limit} characters at most).", {"limit": 120}),
    ],
)
def test_names_refused_say_why(typed, msgid, values):
    with pytest.raises(InvalidAnswer) as caught:
        parse.parse_name(typed)
    assert caught.value.msgid == msgid
    assert caught.value.values == values


@pytest.mark.parametrize(
    "typed", ["Nguyễn Thị Minh Khai", "O'Brien", "Jean-Pierre", "Ma. Cristina", "Zoë Ångström", "ʼAkau"]
)
def test_latin_names_for_the_passport(typed):
    assert parse.parse_latin_name(typed) == typed


@pytest.mark.parametrize("typed", ["อนุชา", "田中 太郎", "محمد علی", "Иван Петров", "Ana Петров"])
def test_names_in_other_scripts_refused_when_latin_is_needed(typed):
    with pytest.raises(InvalidAnswer) as caught:
        parse.parse_latin_name(typed)
    assert "Latin letters" in caught.value.msgid
