"""Which part of the programme a question names: a day ("the first day", "Tuesday", "31 July",
"7月31日") and perhaps its morning or afternoon ("after lunch", "buổi sáng").

Weekday and month names come from CLDR (Babel) in every language of the event file and in
English; the words for the first, second or last day and for the parts of a day are in
guide.yaml. A name matches as whole words in scripts with spaces, anywhere in the others.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from babel.dates import get_day_names, get_month_names

from bot.core.event import Event
from bot.core.i18n import supported_languages
from bot.core.input_checks import ascii_digits
from bot.questions.guide import guide_data


@dataclass(frozen=True)
class ProgrammePart:
    day: date
    part: str  # "day", "morning" or "afternoon"

    @property
    def key(self) -> str:
        return f"{self.part}:{self.day.isoformat()}"


def _fold(text: str) -> str:
    """Case, accents of Latin letters and digits of any script folded (`Thứ Ba` = `thu ba`,
    `๓๐` = `30`); other marks kept."""
    folded = []
    for char in unicodedata.normalize("NFKD", ascii_digits(text).casefold()):
        if not (unicodedata.combining(char) and folded and folded[-1].isascii()):
            folded.append(char)
    return unicodedata.normalize("NFC", "".join(folded))


def _pattern(phrases: set[str]) -> re.Pattern[str] | None:
    """Any of the phrases: from the start of a word where the phrase is written with spaced
    letters; a phrase of four letters or more may take an ending (`prothom diner`, `matinée`),
    one that ends in a digit takes no more digits (`day 1` is not `day 10`)."""
    alternatives = []
    for phrase in sorted(phrases, key=len, reverse=True):
        escaped = re.escape(phrase)
        spaced = phrase.isascii() or " " in phrase or re.search(r"[\u0400-\u04ff]", phrase)
        if spaced:
            escaped = r"(?<!\w)" + escaped
        if phrase[-1].isdigit():
            escaped += r"(?!\d)"
        elif spaced and len(phrase) < 4:
            escaped += r"(?!\w)"
        alternatives.append(escaped)
    return re.compile("|".join(alternatives)) if alternatives else None


_DAY_NUMBER = r"(?<!\d)(?P<n>\d{1,2})(?!\d)"


class ProgrammePartFinder:
    def __init__(self, event: Event):
        days = [day.date for day in event.programme.days]
        self._days = set(days)
        languages = sorted(set(supported_languages()) | {"en"})
        when = guide_data()["when"]
        self._periods = {
            part: _pattern({_fold(word) for words in when[part].values() for word in words})
            for part in ("morning", "afternoon")
        }
        phrases: dict[str, date] = {}
        ordinals = {language: lists for language, lists in when["day_ordinals"].items()}
        for number, day in enumerate(sorted(days)):
            for lists in ordinals.values():
                if number < len(lists):
                    phrases.update({_fold(word): day for word in lists[number]})
        if days:
            phrases.update({_fold(word): max(days) for words in when["last_day"].values() for word in words})
        # A weekday names a day only when one programme day falls on it.
        weekdays = [day.weekday() for day in days]
        for day in days:
            if weekdays.count(day.weekday()) == 1:
                for language in languages:
                    for width in ("wide", "abbreviated"):
                        for context in ("format", "stand-alone"):
                            name = get_day_names(width, context, language)[day.weekday()]
                            # Not one character: Korean `수` and Japanese `水` are in many words.
                            if len(name) > 2 or (not name.isascii() and len(name) > 1):
                                phrases[_fold(name)] = day
                            if name.endswith("曜日"):  # Japanese `火曜日`, said `火曜`
                                phrases[_fold(name[:-1])] = day
        self._phrases = phrases
        self._phrase_pattern = _pattern(set(phrases))
        months: dict[str, set[int]] = {}
        for language in languages:
            for width in ("wide", "abbreviated"):
                for context in ("format", "stand-alone"):
                    for month in {day.month for day in days}:
                        name = _fold(get_month_names(width, context, language)[month].rstrip("."))
                        months.setdefault(name, set()).add(month)
        self._month_pattern = _pattern(set(months))
        self._months = months

    def find(self, text: str) -> ProgrammePart | None:
        """The programme day the text names, with its part if it names one; None if it names no day
        of the programme."""
        folded = _fold(text)
        day = self._named_day(folded)
        if day is None:
            return None
        parts = [part for part, pattern in self._periods.items() if pattern and pattern.search(folded)]
        return ProgrammePart(day, parts[0] if len(parts) == 1 else "day")

    def without(self, text: str) -> str:
        """The text (folded) without the words that name a day or a part of it: what else it asks."""
        folded = _fold(text)
        for pattern in (self._phrase_pattern, *self._periods.values()):
            if pattern is not None:
                folded = pattern.sub(" ", folded)
        return folded

    def _named_day(self, folded: str) -> date | None:
        named = set()
        if self._phrase_pattern:
            named |= {self._phrases[match.group(0)] for match in self._phrase_pattern.finditer(folded)}
        # A day of the month, when only one programme day has it: next to the name of one of the
        # programme's months (`31 July`, `julio 31`, `7月31日`, `31/7`), or alone when it cannot be
        # a month or a small count (`le 31`, `৩০ তারিখ`).
        for match in re.finditer(_DAY_NUMBER, folded):
            number = int(match["n"])
            candidates = {day for day in self._days if day.day == number}
            if len(candidates) == 1 and (number > 12 or self._dated(folded, match.start(), match.end())):
                named |= candidates
        return named.pop() if len(named) == 1 else None

    def _dated(self, folded: str, start: int, end: int) -> bool:
        """A day number reads as a date: a month name, a date separator with a month number, an
        ordinal suffix or a CJK day mark around it."""
        around = folded[max(0, start - 16) : end + 16]
        if self._month_pattern and self._month_pattern.search(around):
            return True
        months = {day.month for day in self._days}
        after, before = folded[end : end + 4], folded[max(0, start - 4) : start]
        if re.match(r"\s*(st|nd|rd|th|er|e|日|일|号|號)", after):
            return True
        return any(
            re.match(rf"[/.\-]{month}(?!\d)", after)
            or re.search(rf"(?<!\d){month}[/.\-]$", before)
            or re.search(rf"(?<!\d){month}\s*[月월]\s*$", before)
            for month in months
        )
