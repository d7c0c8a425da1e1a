"""Languages: gettext catalogs in `locales/`, CLDR names and formats from Babel.

Catalogs are read from the `.po` files and compiled in memory at start-up, so a translation
edited in `locales/` is live after a restart with no compile step to forget.
"""

from __future__ import annotations

import gettext as gnu_gettext
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, tzinfo
from functools import cache, lru_cache
from pathlib import Path

import icu
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from rapidfuzz import fuzz

from bot.core.models.registration import fold
from bot.core.settings import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"

# How a language names itself in the picker, where CLDR's own name reads oddly there.
_PICKER_NAMES = {
    "id": "Bahasa Indonesia",
    "ms": "Bahasa Melayu",
    "zh_Hant": "繁體中文",
}

# Right-to-left text (Urdu): values inside a line are isolated so that Latin values keep their
# own order, and a line that would otherwise start left-to-right is marked right-to-left.
FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
_ISOLATE_INITIATORS = "\u2066\u2067\u2068"  # LRI, RLI, FSI
PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_.\[\]]*\}|%\([A-Za-z0-9_]+\)[sd]")
_TAG = re.compile(r"(<[^<>]*>)")


class Catalogs:
    """The gettext catalogs of every language, read from the `.po` files, and the current language.

    The current language is a context variable: each update's language middleware sets it for
    what the update runs (`use_locale`), and `gettext` below reads it. (aiogram ships a class like
    this; the core keeps its own so that it does not depend on the Telegram framework.)
    """

    def __init__(self, path: Path, default_locale: str, domain: str):
        self.path, self.default_locale, self.domain = path, default_locale, domain
        self._current = ContextVar("language", default=default_locale)
        self.locales = self._read_catalogs()

    def _read_catalogs(self) -> dict[str, gnu_gettext.GNUTranslations]:
        translations: dict[str, gnu_gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            language = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=language)
            if is_right_to_left(language):
                for message in catalog:
                    if message.id and message.string:
                        message.string = _map_strings(message.string, isolate_for_rtl)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations[language] = gnu_gettext.GNUTranslations(buffer)
        return translations

    @property
    def available_locales(self) -> tuple[str, ...]:
        return tuple(self.locales)

    @property
    def current_locale(self) -> str:
        return self._current.get()

    @current_locale.setter
    def current_locale(self, language: str) -> None:
        """A language chosen mid-update: the rest of the update speaks it (`use_locale` restores
        the one before when the update ends)."""
        self._current.set(language)

    @contextmanager
    def use_locale(self, language: str) -> Iterator[None]:
        token = self._current.set(language)
        try:
            yield
        finally:
            self._current.reset(token)

    def gettext(self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None) -> str:
        translations = self.locales.get(locale or self.current_locale)
        if translations is None:
            return singular if n == 1 or plural is None else plural
        return (
            translations.gettext(singular) if plural is None else translations.ngettext(singular, plural, n)
        )


@cache
def get_i18n() -> Catalogs:
    return Catalogs(LOCALES_DIR, DEFAULT_LANGUAGE, DOMAIN)


def gettext(msgid: str) -> str:
    """The message in the current language."""
    return get_i18n().gettext(msgid)


def ngettext(singular: str, plural: str, count: int) -> str:
    return get_i18n().gettext(singular, plural, count)


def supported_languages() -> tuple[str, ...]:
    """Every language with a catalog, English first, then by code."""
    others = sorted(code for code in get_i18n().available_locales if code != DEFAULT_LANGUAGE)
    return (DEFAULT_LANGUAGE, *others)


def match_language(tag: str | None) -> str | None:
    """The supported language for a Telegram `language_code` (an IETF tag), or None.

    Babel reads the tag (`pt-BR`, `zh-hant`, `zh-TW`, `tl`) with CLDR's aliases and likely
    scripts; then the same language and script, else the same language in another script (Chinese
    is offered in Traditional characters only, so `zh`, `zh-Hans` and `zh-CN` get Traditional:
    closer to the reader than English, and the picker is the first window anyway).
    """
    if not tag or not tag.strip():
        return None
    subtags = tag.strip().replace("_", "-").split("-")
    if subtags[0].lower() in ("und", "x", "i"):  # undetermined or private-use
        return None
    try:
        locale = Locale.parse("-".join(subtags), sep="-")
    except (ValueError, UnknownLocaleError):
        try:  # extensions Babel does not read (`en-US-u-ca-buddhist`): the language alone
            locale = Locale.parse(subtags[0], sep="-")
        except (ValueError, UnknownLocaleError):
            return None
    supported = supported_languages()
    for candidate in (f"{locale.language}_{locale.script}", locale.language):
        if candidate in supported:
            return candidate
    return next((code for code in supported if code.split("_", 1)[0] == locale.language), None)


def telegram_language_code(language: str) -> str | None:
    """The two-letter ISO 639-1 code Telegram takes for command menus (`fil` -> `tl`,
    `zh_Hant` -> `zh`), or None when the language has none."""
    base = babel_locale(language).language
    if len(base) == 2:
        return base
    aliases = get_global("language_aliases")
    return next((alias for alias, target in aliases.items() if len(alias) == 2 and target == base), None)


def is_right_to_left(language: str) -> bool:
    return babel_locale(language).character_order == "right-to-left"


def _map_strings(string, function):
    return tuple(function(item) for item in string) if isinstance(string, tuple) else function(string)


def paragraph_direction(line: str) -> str | None:
    """A line's direction as the Unicode bidi algorithm finds it (rules P2-P3): that of its first
    strong character, isolates and HTML tags skipped; "L", "R", or None when it has none."""
    depth = 0
    for char in _TAG.sub("", line):
        if char in _ISOLATE_INITIATORS:
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "L"
            if kind in ("R", "AL"):
                return "R"
    return None


def isolate_for_rtl(text: str) -> str:
    """A right-to-left translation made to read correctly in Telegram.

    Each line is a paragraph for the bidi algorithm. In a line with other text, a value
    (`{email}`, `{code}`, a date, a phone number) is isolated (FSI...PDI): its own direction,
    and neutral characters around it stay in place (`+63 917 123 4567` is not reversed). A line
    whose first strong character would be left-to-right (a command, a value, a Latin word) starts
    with RLM. A value alone on its line is left as it is: its own text sets that paragraph's
    direction. Tags are left intact, so HTML parsing and attribute values are unaffected.
    """
    lines = []
    for line in text.split("\n"):
        bare = _TAG.sub("", line).strip()
        if not bare or PLACEHOLDER.fullmatch(bare):
            lines.append(line)
            continue
        parts = _TAG.split(line)  # odd indexes are tags
        line = "".join(
            part if index % 2 else PLACEHOLDER.sub(lambda m: FSI + m.group(0) + PDI, part)
            for index, part in enumerate(parts)
        )
        if paragraph_direction(line) != "R":
            line = RLM + line
        lines.append(line)
    return "\n".join(lines)


@cache
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LANGUAGE)


@cache  # CLDR lookups, on every render of the language picker
def language_name(code: str, in_language: str | None = None) -> str:
    """The language's own name for itself (`Français`, `ไทย`, `繁體中文`), as the picker shows it;
    or its name in `in_language` (`French`, `Thai`), for lists that staff read."""
    if in_language is None and code in _PICKER_NAMES:
        return _PICKER_NAMES[code]
    name = babel_locale(code).get_display_name(in_language or code) or code
    return name[:1].upper() + name[1:]


@cache
def _collator(language: str) -> icu.Collator:
    """CLDR's order for the language, from ICU; the root order for a language it does not know."""
    try:
        return icu.Collator.createInstance(icu.Locale(language))
    except icu.ICUError:
        return icu.Collator.createInstance(icu.Locale.getRoot())


def collation_key(language: str) -> Callable[[str], bytes]:
    """A sort key that orders names as readers of the language expect: accents with their letter
    (`Égypte` among the E), Urdu in its alphabet's order, Japanese kana before kanji. Code points
    would put `Égypte` after `Zambie` and `پاکستان` last."""
    return _collator(language).getSortKey


def sort_names(names: Iterable[str], language: str) -> list[str]:
    return sorted(names, key=collation_key(language))


def country_name(code: str, language: str) -> str:
    return babel_locale(language).territories.get(code, code)


@cache
def _country_index(language: str) -> tuple[tuple[str, str, str], ...]:
    """(code, folded local name, folded English name) for every real country."""
    local = babel_locale(language).territories
    english = babel_locale(DEFAULT_LANGUAGE).territories
    # Folded (lower case, no accents), so `peru` finds `Perú` and `Pérou`.
    # Two letters: countries and territories; numeric codes are regions such as "Asia".
    return tuple(
        (code, fold(local.get(code, name)), fold(name))
        for code, name in english.items()
        if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "ZZ", "QO"}
    )


def search_countries(query: str, language: str, limit: int = 8) -> list[str]:
    """Country codes whose name, local or English, matches the typed text, best first."""
    needle = fold(query.strip())
    if len(needle) < 2:
        return []
    scored: list[tuple[float, str]] = []
    for code, local, english in _country_index(language):
        if needle in (code.lower(),) or local.startswith(needle) or english.startswith(needle):
            score = 200.0
        elif needle in local or needle in english:
            score = 150.0
        else:
            # Typos: "philipines", "indonesa".
            score = max(fuzz.ratio(needle, local), fuzz.ratio(needle, english))
            if len(needle) >= 4:
                score = max(score, fuzz.partial_ratio(needle, local), fuzz.partial_ratio(needle, english))
            if score < 80:
                continue
        scored.append((score, code))
    name_key = collation_key(language)
    scored.sort(key=lambda item: (-item[0], name_key(country_name(item[1], language))))
    return [code for _, code in scored[:limit]]


_DATE_FORMS = frozenset({"short", "medium", "long", "full"})


@cache
def _digits_table(language: str) -> dict[int, str]:
    """0-9 to the digits of the language's CLDR default numbering system: Myanmar digits in
    Burmese, Devanagari in Nepali, Bengali in Bengali; Latin ones, untouched, in Urdu (CLDR's `ur`
    is `latn`) and the others. Babel writes dates, times and numbers with Latin digits whatever
    the language, so these are changed afterwards."""
    system = babel_locale(language).default_numbering_system
    digits = icu.NumberingSystem.createInstanceByName(system).getDescription()
    return {} if digits == "0123456789" else str.maketrans("0123456789", digits)


def in_own_digits(text: str, language: str) -> str:
    """Text Babel wrote (a date, a time, a number) in the digits the language reads by default."""
    return text.translate(_digits_table(language))


# Numbers, dates and times are formatted on every render of a question (its number, its days):
# Babel's CLDR patterns cost tens of microseconds a call, the same few values recur.
@lru_cache(maxsize=4096)
def fmt_number(value: int, language: str) -> str:
    """A count as the language writes it: its digits and its grouping ("1,234", "၁,၂၃၄")."""
    return in_own_digits(format_decimal(value, locale=babel_locale(language)), language)


def zone_name(zone: tzinfo, language: str) -> str:
    """The time zone as its city, in the reader's language (CLDR: `Manila`, `Manille`, `マニラ`)."""
    return get_timezone_location(zone, locale=babel_locale(language), return_city=True)


@lru_cache(maxsize=4096)
def fmt_date(value: date, language: str, form: str = "full") -> str:
    """A date as the language writes it: a CLDR format (`long`) or a skeleton (`MMMEd` gives
    "Tue, Jul 30", "7月30日(火)", "mar. 30 juil."), never a fixed pattern."""
    if form in _DATE_FORMS:
        return in_own_digits(format_date(value, form, locale=babel_locale(language)), language)
    return in_own_digits(format_skeleton(form, value, locale=babel_locale(language)), language)


@lru_cache(maxsize=4096)
def fmt_time(value: time, language: str) -> str:
    """A clock time as the language writes it, never with seconds: CLDR's short pattern, 24-hour
    or 12-hour as the language has it ("14:35", "2:35 PM", "오후 2:35"). The one format of every
    time people read (cards, headcounts, schedules, the programme), so that they all agree."""
    return in_own_digits(format_time(value, "short", locale=babel_locale(language)), language)


def fmt_datetime(value: datetime, language: str, tz: tzinfo, form: str = "long") -> str:
    """A moment in the time zone `tz`: the date as `fmt_date` writes it in `form`, the time as
    `fmt_time` (no seconds), joined as the language joins them ("May 1, 2026, 3:00 PM",
    "2026/05/01 15:00"). Say which zone it is (`in_zone`) where the reader may be elsewhere."""
    local = value.astimezone(tz)
    pattern = babel_locale(language).datetime_formats[form if form in _DATE_FORMS else "medium"]
    # CLDR quotes literal words in the pattern ('at'); Babel drops the quotes the same way.
    return (
        str(pattern)
        .replace("'", "")
        .replace("{1}", fmt_date(local.date(), language, form))
        .replace("{0}", fmt_time(local.time(), language))
    )


def in_zone(text: str, zone: tzinfo, language: str) -> str:
    """A time or moment with the zone it is in: "15:00 (Manila time)", in `language`."""
    return get_i18n().gettext(ZONED_TIME, locale=language).format(time=text, zone=zone_name(zone, language))


def N_(msgid: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return msgid


# What `in_zone` writes; the zone is its city in the reader's language (`zone_name`).
ZONED_TIME = N_("{time} ({zone} time)")
