"""Languages: gettext catalogs in `locales/`, CLDR names and formats from Babel.

Catalogs are read from the `.po` files and compiled in memory at start-up, so a translation
edited in `locales/` is live after a restart with no compile step to forget.
"""

from __future__ import annotations

import gettext as gnu_gettext
import io
import unicodedata
from datetime import date, datetime, time
from functools import cache

from aiogram.utils.i18n import I18n
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from rapidfuzz import fuzz

from bot.config import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"

# Telegram sends IETF tags (`pt-br`, `zh-hant`); these are the ones that do not map by their base.
_TAG_ALIASES = {
    "tl": "fil",
    "zh-hant": "zh_Hant",
    "zh-tw": "zh_Hant",
    "zh-hk": "zh_Hant",
    "zh-mo": "zh_Hant",
}


class CatalogI18n(I18n):
    """aiogram's I18n fed from `.po` files instead of compiled `.mo` files.

    The current language is its context variable; `gettext` below reads it.
    """

    def find_locales(self) -> dict[str, gnu_gettext.GNUTranslations]:
        translations: dict[str, gnu_gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            language = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations[language] = gnu_gettext.GNUTranslations(buffer)
        return translations


@cache
def get_i18n() -> CatalogI18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


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
    """The supported language for a Telegram `language_code`, or None when there is none."""
    if not tag:
        return None
    supported = {code.lower(): code for code in supported_languages()}
    tag = tag.strip().lower().replace("_", "-")
    for candidate in (_TAG_ALIASES.get(tag), tag.replace("-", "_"), tag.split("-", 1)[0]):
        if candidate and candidate.lower() in supported:
            return supported[candidate.lower()]
    alias = _TAG_ALIASES.get(tag.split("-", 1)[0])
    return supported.get(alias.lower()) if alias else None


@cache
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LANGUAGE)


def language_name(code: str) -> str:
    """The language's own name for itself (`Français`, `Español`)."""
    name = babel_locale(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def country_name(code: str, language: str) -> str:
    return babel_locale(language).territories.get(code, code)


def _fold(text: str) -> str:
    """Lower case without accents, so `peru` finds `Perú` and `Pérou`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def _country_index(language: str) -> tuple[tuple[str, str, str], ...]:
    """(code, folded local name, folded English name) for every real country."""
    local = babel_locale(language).territories
    english = babel_locale(DEFAULT_LANGUAGE).territories
    # Two letters: countries and territories; numeric codes are regions such as "Asia".
    return tuple(
        (code, _fold(local.get(code, name)), _fold(name))
        for code, name in english.items()
        if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "ZZ", "QO"}
    )


def search_countries(query: str, language: str, limit: int = 8) -> list[str]:
    """Country codes whose name, local or English, matches the typed text, best first."""
    needle = _fold(query.strip())
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
    scored.sort(key=lambda item: (-item[0], country_name(item[1], language)))
    return [code for _, code in scored[:limit]]


def fmt_date(value: date, language: str, form: str = "full") -> str:
    return format_date(value, form, locale=babel_locale(language))


def fmt_time(value: time, language: str) -> str:
    return format_time(value, "short", locale=babel_locale(language))


def fmt_datetime(value: datetime, language: str, tz, form: str = "long") -> str:
    return format_datetime(value, form, tzinfo=tz, locale=babel_locale(language))


def N_(msgid: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return msgid
