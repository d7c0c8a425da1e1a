"""Checking and normalising what a delegate types. Each parser returns the clean value or raises
`InvalidAnswer` with a message id (translated where it is shown) and its format arguments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache, partial

import icu
import phonenumbers
from babel import Locale
from babel.dates import format_date, format_skeleton, get_date_format, get_day_names, get_month_names
from email_validator import EmailNotValidError, validate_email
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.i18n import DEFAULT_LANGUAGE, N_, babel_locale, in_own_digits


class InvalidAnswer(ValueError):
    def __init__(self, msgid: str, **values: object):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


NAME_MAX = 120
TEXT_MAX = 200
NOTE_MAX = 500


def clean_text(text: str) -> str:
    """Collapse white space and drop control and invisible format characters."""
    kept = "".join(char if unicodedata.category(char) not in ("Cc", "Cf") else " " for char in text)
    return " ".join(kept.split())


# Besides letters and combining marks (any script) and spaces, a name as a passport writes it has
# only these: hyphens, apostrophes (O'Brien, O’Brien, the modifier letter ʼ) and the period of an
# initial (Ma. Cristina).
_NAME_PUNCTUATION = frozenset("-\u2010\u2011'\u2019\u02bc.")


def _is_question_mark(char: str) -> bool:
    """? ¿ ？ ؟ and the other question marks of Unicode."""
    return "QUESTION MARK" in unicodedata.name(char, "")


def parse_name(text: str) -> str:
    """A person's name in letters of any script, with spaces, hyphens, apostrophes and initials'
    periods."""
    name = clean_text(text)
    if len(name) > NAME_MAX:
        raise InvalidAnswer(N_("That is too long for a name ({limit} characters at most)."), limit=NAME_MAX)
    if any(_is_question_mark(char) for char in name):
        raise InvalidAnswer(
            N_(
                "That looks like a question, not a name. Please type your full name, as written in your passport."
            )
        )
    letters = sum(char.isalpha() for char in name)
    if letters < 2 or name.startswith("/") or any(char.isdigit() for char in name):
        raise InvalidAnswer(N_("Please type your full name in letters, as written in your passport."))
    others = [
        char
        for char in name
        if not (char.isalpha() or unicodedata.category(char)[0] == "M" or char == " ")
        and char not in _NAME_PUNCTUATION
    ]
    if others:
        raise InvalidAnswer(
            N_(
                "Names cannot contain: {characters}. Please type your full name, as written in your passport."
            ),
            characters=" ".join(dict.fromkeys(others)),
        )
    return name


def parse_free_text(text: str, limit: int = TEXT_MAX) -> str:
    value = clean_text(text)
    if not value or value.startswith("/"):
        raise InvalidAnswer(N_("Please type your answer as text (not starting with /)."))
    if len(value) > limit:
        raise InvalidAnswer(N_("Please use at most {limit} characters."), limit=limit)
    return value


def parse_email(text: str) -> str:
    try:
        # Deliverability would need DNS, which a delegate's typo check does not.
        result = validate_email(clean_text(text), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAnswer(N_("That does not look like an email address. Example: name@party.org")) from None
    return result.normalized


# The mail providers most delegates use: a domain one or two letters from one of them is most likely
# a typo (gmial.com, yahooo.com, hotmail.con). Real domains close to them are listed as known.
_COMMON_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "aol.com",
    "gmx.com",
    "yandex.com",
    "qq.com",
    "naver.com",
)
_KNOWN_MAIL_DOMAINS = frozenset(
    {*_COMMON_MAIL_DOMAINS, "ymail.com", "email.com", "mail.com", "me.com", "mac.com", "msn.com", "aim.com"}
)


def likely_email_typo(email: str) -> str | None:
    """The address with a common provider's domain, when its own is a near miss of one: one letter
    off in a short domain, two in a longer one."""
    local, _, domain = email.rpartition("@")
    if domain in _KNOWN_MAIL_DOMAINS:
        return None
    cutoff = 1 if len(domain) <= 7 else 2
    found = process.extractOne(domain, _COMMON_MAIL_DOMAINS, scorer=OSA.distance, score_cutoff=cutoff)
    return f"{local}@{found[0]}" if found is not None else None


def parse_phone(text: str, country: str | None) -> str:
    """E.164 (+63917…); a number without a country code is read in the delegate's country."""
    raw = clean_text(text)
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidAnswer(
            N_(
                "That does not look like a phone number. Please include the country code, e.g. +63 917 123 4567."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Babel writes every CLDR pattern with Latin digits; these stand for the day and the year when the
# month's own words are cut out of a formatted date (see _date_words).
_SAMPLE_DAY, _SAMPLE_YEAR = 25, 2024
_DATE_SEPARATORS = frozenset("/.-,،、。·॰'’") | frozenset(" ")
# The unit a Chinese, Japanese or Korean date puts after each number: 2024年7月28日, 7월 28일.
_CJK_UNITS = {"年": "year", "년": "year", "月": "month", "월": "month", "日": "day", "일": "day", "号": "day"}
_NUMBER = re.compile(r"(\d+)(?:\s*([年년月월日일号]))?")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # a weekday after the date: 7月28日(日)
# English is read in every language; these are its words around a date that CLDR's formats do not
# show ("the 28th of July").
_ENGLISH_FILLERS = ("of", "the")
# A Thai year is often typed in the Buddhist era (2567 for 2024).
_BUDDHIST_ERA_OFFSET = 543


def ascii_digits(text: str) -> str:
    """Any Unicode decimal digit (Thai ๒๘, Devanagari २८, Myanmar ၂၈, full-width ２８) as 0-9."""
    return "".join(
        str(digit) if (digit := unicodedata.decimal(char, None)) is not None else char for char in text
    )


def _fold(text: str) -> str:
    """Lower case, no accents or other combining marks, compatibility forms unfolded (`Févr.` and
    `fevr.` alike, `２８` as 28), single spaces: typed text and CLDR names compared alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFC", kept).casefold().split())


@dataclass(frozen=True)
class _Word:
    month: int | None = None  # 1-12
    weekday: bool = False  # ignored, unless it is the only month name typed ("mar" is March and Tuesday)


@dataclass(frozen=True)
class _DateWords:
    words: dict[str, _Word]  # folded name -> what it stands for
    by_length: tuple[str, ...]  # the names, longest first: the longest one typed is the one read
    suffixes: tuple[str, ...]  # after a day number: 28th, 1er, 1.º
    order: str  # the short date pattern's fields, e.g. "Mdy" (en), "dMy" (fr), "yMd" (ja)
    example_pattern: str  # the short pattern without its year: "M/d", "dd/MM", "M. d."


def _names_of(locale: Locale) -> Iterator[tuple[str, int]]:
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for month, name in get_month_names(width, context, locale).items():
                yield name, month


def _formatted_pieces(locale: Locale) -> Iterator[tuple[list[str], ...]]:
    """Each CLDR date format that names the month, written for the twelve months and cut at the
    sample day and year: a column per piece, each the piece's twelve versions (Spanish
    `25 de julio de 2024`: ["", …], ["de enero de", …, "de julio de", …], ["", …])."""
    formats: list[Callable[[date], str]] = [
        partial(format_skeleton, skeleton, locale=locale) for skeleton in ("MMMd", "MMMMd", "yMMMd", "yMMMMd")
    ]
    formats += [partial(format_date, format=form, locale=locale) for form in ("medium", "long")]
    for format_ in formats:
        texts = [format_(date(_SAMPLE_YEAR, month, _SAMPLE_DAY)) for month in range(1, 13)]
        split = [re.split(rf"{_SAMPLE_YEAR}|{_SAMPLE_DAY}", text) for text in texts]
        if len({len(pieces) for pieces in split}) == 1:
            yield tuple(list(column) for column in zip(*split, strict=True))


def _date_words(locale: Locale) -> tuple[dict[str, int], set[str]]:
    """Month names as CLDR writes them on their own and inside its date formats (Spanish "de julio",
    Mongolian "7-р сарын"), and the words those formats put around them ("de", "оны", "ค.ศ.")."""
    months: dict[str, int] = {}
    fillers: set[str] = set()
    for name, month in _names_of(locale):
        months.setdefault(name, month)
    for columns in _formatted_pieces(locale):
        for column in columns:
            pieces = [_fold(piece).strip(" ,،") for piece in column]
            if len(set(pieces)) == 1:
                fillers.update(pieces[0].split())
                continue
            for month, piece in enumerate(pieces, start=1):
                if any(char.isalpha() for char in piece):
                    months.setdefault(piece, month)
            fillers.update(set.intersection(*(set(piece.split()) for piece in pieces)))
    return months, {filler for filler in fillers if not any(char.isdigit() for char in filler)}


def _ordinal_suffixes(language: str) -> set[str]:
    """What follows a number written as an ordinal (ICU): "st", "nd", "rd", "th"; French "er", "e";
    Spanish ".º"."""
    ordinal = icu.RuleBasedNumberFormat(icu.URBNFRuleSetTag.ORDINAL, icu.Locale(language))
    suffixes = set()
    for number in range(1, 32):
        written = _fold(ordinal.format(number))
        if written.startswith(str(number)) and written != str(number):
            suffixes.add(written[len(str(number)) :].strip())
    return suffixes


def _variants(name: str) -> set[str]:
    """A folded name, with and without its abbreviation dots ("juil." "juil"; Thai "ก.ค." "กค")."""
    name = _fold(name).rstrip(".॰").strip()
    return {name, name.replace(".", "").replace("॰", "")} - {""}


@cache
def _date_words_for(language: str) -> _DateWords:
    locale = babel_locale(language)
    # The delegate's language first: it wins a name both have. British English adds "Sept".
    sources = (locale, babel_locale(DEFAULT_LANGUAGE), Locale.parse("en_GB"))
    words: dict[str, _Word] = {}
    fillers: set[str] = set(_ENGLISH_FILLERS)
    for source in sources:
        months, source_fillers = _date_words(source)
        fillers |= source_fillers
        for name, month in months.items():
            for variant in _variants(name):
                words.setdefault(variant, _Word(month=month))
    for source in sources:
        for width in ("wide", "abbreviated", "short"):
            for context in ("format", "stand-alone"):
                for name in get_day_names(width, context, source).values():
                    for variant in _variants(name):
                        known = words.get(variant, _Word())
                        words[variant] = _Word(month=known.month, weekday=True)
    for filler in fillers:
        for variant in _variants(filler):
            words.setdefault(variant, _Word())
    pattern = re.sub(r"'[^']*'", "", get_date_format("short", locale=locale).pattern)
    order = "".join(sorted("yMd", key=lambda field: pattern.find(field)))
    example = re.sub(r"^y+[^dM]*|[^dMy]*y+$", "", pattern).strip()
    suffixes = _ordinal_suffixes(language) | _ordinal_suffixes(DEFAULT_LANGUAGE)
    return _DateWords(
        words=words,
        by_length=tuple(sorted(words, key=len, reverse=True)),
        suffixes=tuple(sorted(suffixes, key=len, reverse=True)),
        order=order,
        example_pattern=example,
    )


def _ends_cleanly(text: str, end: int, word: str) -> bool:
    """A name read from `text` ends at `end` only if the next character does not go on with it: a
    letter after a letter ("mar" in "mardi"), a digit after a digit ("thg 1" in "thg 12")."""
    if end >= len(text):
        return True
    last, following = word[-1], text[end]
    if last.isdigit():
        return not following.isdigit()
    if unicodedata.category(last)[0] in "LM":
        return unicodedata.category(following)[0] not in "LM"
    return True


@dataclass
class _Token:
    kind: str  # "month", "day", "year" (named or marked), "number" (a bare one)
    value: int
    digits: int = 0  # a bare number's length: 2024 is a year, 28 a day or month
    also_weekday: bool = False


def _word_at(text: str, position: int, candidates: Iterable[str]) -> str | None:
    """The first candidate written at the position and ending there as a word ends."""
    return next(
        (
            word
            for word in candidates
            if text.startswith(word, position) and _ends_cleanly(text, position + len(word), word)
        ),
        None,
    )


def _date_tokens(text: str, words: _DateWords) -> list[_Token] | None:
    """The month names, numbers and marked numbers typed, in order; weekdays and the words around a
    date left out. None when something else was typed."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position] in _DATE_SEPARATORS:
            position += 1
            continue
        name = _word_at(text, position, words.by_length)
        if name is not None:
            position += len(name)
            word = words.words[name]
            if word.month is not None:
                tokens.append(_Token("month", word.month, also_weekday=word.weekday))
            continue
        number = _NUMBER.match(text, position)
        if number is None:
            return None
        position = number.end()
        value = int(number[1])
        if number[2]:
            tokens.append(_Token(_CJK_UNITS[number[2]], value))
            continue
        suffix = _word_at(text, position, words.suffixes)
        if suffix is not None:
            position += len(suffix)
            tokens.append(_Token("day", value))
        else:
            tokens.append(_Token("number", value, digits=len(number[1])))
    return tokens


# (year, month, day), the year None when it was not typed
_Reading = tuple[int | None, int, int]


def _readings(tokens: list[_Token], order: str) -> list[_Reading] | None:
    """What the numbers typed may mean, the language's own order first; None when they cannot be a
    date (two months, a lone number, five digits…)."""
    months = [token for token in tokens if token.kind == "month"]
    if len(months) > 1:
        # "mar" is both March and Tuesday (French, Spanish, Filipino): a weekday beside a month.
        months = [token for token in months if not token.also_weekday]
        tokens = [token for token in tokens if token.kind != "month" or any(token is m for m in months)]
    if len(months) > 1 or any(token.kind == "number" and token.digits not in (1, 2, 4) for token in tokens):
        return None
    years = [t for t in tokens if t.kind == "year" or (t.kind == "number" and t.digits == 4)]
    days = [token for token in tokens if token.kind == "day"]
    numbers = [token.value for token in tokens if token.kind == "number" and token.digits != 4]
    if len(years) > 1 or len(days) > 1:
        return None
    year = years[0].value if years else None
    if months or days:
        month = months[0].value if months else None
        day = days[0].value if days else None
        if month is None and numbers:
            month = numbers.pop(0)
        if day is None and numbers:
            day = numbers.pop(0)
        if year is None and numbers:
            year = numbers.pop()  # "28 Jul 24"
        if month is None or day is None or numbers:
            return None
        return [(year, month, day)]
    if year is not None:
        if len(numbers) != 2:
            return None
        first, second = numbers
        if tokens[0] is years[0]:  # 2024-07-28, 2024/7/28
            return [(year, first, second)]
        month_first = order.index("M") < order.index("d")
        return [(year, first, second), (year, second, first)][:: 1 if month_first else -1]
    if len(numbers) == 2:
        first, second = numbers
        month_first = order.index("M") < order.index("d")
        return [(None, first, second), (None, second, first)][:: 1 if month_first else -1]
    if len(numbers) == 3:
        readings = []
        for fields in dict.fromkeys((order, "dMy", "Mdy", "yMd")):
            value = dict(zip(fields, numbers, strict=True))
            readings.append((value["y"], value["M"], value["d"]))
        return readings
    return None


def _full_year(year: int | None, language: str) -> int | None:
    """24 is 2024; in Thai, 2567 (Buddhist era) is 2024 too."""
    if year is None:
        return None
    if year < 100:
        return 2000 + year
    if language.split("_")[0] == "th" and year >= 2400:
        return year - _BUDDHIST_ERA_OFFSET
    return year


def _on_calendar(reading: _Reading, earliest: date, latest: date) -> date | None:
    """The date a reading names, if the calendar has it; without a year, the year that puts it in
    [earliest, latest] (or the first year that has it: 29/02)."""
    year, month, day = reading
    years = [year] if year is not None else list(range(earliest.year, latest.year + 1))
    found = []
    for candidate in years:
        try:
            found.append(date(candidate, month, day))
        except ValueError:
            continue
    inside = [day_ for day_ in found if earliest <= day_ <= latest]
    return (inside or found or [None])[0]


def _date_example(earliest: date, latest: date, words: _DateWords, language: str) -> str:
    """A date of the window, written as the language writes day and month (a day above 12, which
    cannot be read as a month): "29/07" in French, "7/29" in English."""
    middle = earliest + (latest - earliest) // 2
    if middle.day <= 12:
        middle = middle.replace(day=middle.day + 15)
    return in_own_digits(format_date(middle, words.example_pattern, locale=babel_locale(language)), language)


def _date_format_error(earliest: date, latest: date, words: _DateWords, language: str) -> InvalidAnswer:
    month_first = words.order.index("M") < words.order.index("d")
    return InvalidAnswer(
        N_("Please type the date as month/day, for example {example}.")
        if month_first
        else N_("Please type the date as day/month, for example {example}."),
        example=_date_example(earliest, latest, words, language),
    )


def parse_date(text: str, earliest: date, latest: date, language: str = DEFAULT_LANGUAGE) -> date:
    """A date within [earliest, latest] as the delegate types it: `29/07`, `29.07.2024`,
    `2024-07-29`, `Jul 29`, `29 juillet`, `July 29th`, `7月29日(月)`, `7월 29일`, in any digits. Day and
    month are read in the language's order (CLDR's short date format: 7/8 is 8 July in French,
    7 August in English), or the other way round when only that way gives a date (29/7 in English);
    month names in the language and in English."""
    typed = clean_text(text)
    words = _date_words_for(language)
    tokens = _date_tokens(_BRACKETS.sub(" ", _fold(ascii_digits(typed))), words)
    readings = _readings(tokens, words.order) if tokens else None
    if not readings:
        raise _date_format_error(earliest, latest, words, language)
    readings = [(_full_year(year, language), month, day) for year, month, day in readings]
    # A two-digit year far from the window is a day or a month read as a year: 29/07/24 in Japanese
    # (year first) is 29 July 2024, not 24 July 2029.
    readings = [
        reading
        for reading in readings
        if reading[0] is None or earliest.year - 1 <= reading[0] <= latest.year + 1
    ] or readings
    dates = [found for reading in readings if (found := _on_calendar(reading, earliest, latest))]
    if not dates:
        if any(1 <= month <= 12 for _, month, _ in readings):
            raise InvalidAnswer(
                N_("There is no such date as {typed}. Please check the day and the month."), typed=typed
            )
        raise _date_format_error(earliest, latest, words, language)
    day = dates[0]
    if not earliest <= day <= latest:
        raise InvalidAnswer(
            N_("Please give a date between {earliest} and {latest}."),
            earliest=earliest,
            latest=latest,
        )
    return day


_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:h.]?(?P<m>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?$", re.I)


def parse_time(text: str) -> time:
    match = _TIME.match(clean_text(text))
    if match:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        ampm = (match["ampm"] or "").lower().replace(".", "")
        if ampm and 1 <= hour <= 12:
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour < 24 and minute < 60 and (match["m"] or ampm):
            return time(hour, minute)
    raise InvalidAnswer(N_("Please type the time as hours:minutes, for example 14:35."))


_FLIGHT = re.compile(r"^([A-Z0-9]{2}|[A-Z]{3})\s*-?\s*(\d{1,4}[A-Z]?)$")


def parse_flight(text: str) -> str:
    match = _FLIGHT.match(clean_text(text).upper())
    if not match or match[1].isdigit():
        raise InvalidAnswer(N_("Please type the flight number, for example PR 431."))
    return f"{match[1]} {match[2]}"


_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def parse_passport(text: str) -> str:
    value = re.sub(r"[\s-]", "", clean_text(text)).upper()
    if not _PASSPORT.match(value):
        raise InvalidAnswer(
            N_("A passport number has 5 to 20 letters and digits. Please check and type it again.")
        )
    return value


def travel_window(starts_on: date, ends_on: date) -> tuple[date, date]:
    """Dates a delegate may plausibly travel on for this event."""
    return starts_on - timedelta(days=30), ends_on + timedelta(days=30)


_WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,9}$")


def parse_number(text: str, minimum: int | None, maximum: int | None) -> int:
    """A whole number in any script's digits, within the question's range."""
    typed = ascii_digits(clean_text(text)).replace(" ", "")
    if not _WHOLE_NUMBER.match(typed):
        raise InvalidAnswer(N_("Please type a whole number, in digits."))
    value = int(typed)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            raise InvalidAnswer(
                N_("Please type a number from {minimum} to {maximum}."), minimum=minimum, maximum=maximum
            )
        if minimum is not None:
            raise InvalidAnswer(N_("Please type a number of at least {minimum}."), minimum=minimum)
        raise InvalidAnswer(N_("Please type a number of at most {maximum}."), maximum=maximum)
    return value


def parse_latin_name(text: str) -> str:
    """A name as the passport's machine-readable lines spell it: Latin letters only."""
    name = parse_name(text)
    # ʼ (the modifier apostrophe of Tongan and Hawaiian names) is a letter to Unicode, of no script.
    if any(
        char.isalpha() and char != "\u02bc" and "LATIN" not in unicodedata.name(char, "") for char in name
    ):
        raise InvalidAnswer(
            N_("Please type your name in Latin letters, as the passport spells it (e.g. under its photo).")
        )
    return name
