"""Catalog maintenance: `python -m bot i18n [--only fr es]` extracts, updates and checks the
catalogs (all of them, or only the named ones), then lists the event file's texts that fall back
to English.

Messages are marked with `_()` (handlers), `N_()` (translated where shown) and `T()` (dialogue
widgets). English msgids are the source; the English catalog mirrors them so that wording can be
edited without touching code.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from pydantic import BaseModel

from bot.core.i18n import DEFAULT_LANGUAGE, DOMAIN, LOCALES_DIR, PLACEHOLDER
from bot.core.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.core.event import Event

KEYWORDS = ("_", "N_", "T")
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
# Telegram HTML: tags and character references must survive translation unchanged.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|&(?:[a-z]+|#[0-9]+|#x[0-9a-fA-F]+);")


def extract(output: Path = TEMPLATE) -> Catalog:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--sort-output",
            "--project",
            "conference-registration-bot",
            *keywords,
            "-o",
            str(output),
            "bot",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with output.open("rb") as file:
        return read_po(file)


def catalog_paths(languages: Iterable[str] | None = None) -> list[Path]:
    paths = sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if languages is None:
        return paths
    wanted = set(languages)
    unknown = wanted - {path.parent.parent.name for path in paths}
    if unknown:
        raise SystemExit(f"No catalog for {', '.join(sorted(unknown))} in {LOCALES_DIR}")
    return [path for path in paths if path.parent.parent.name in wanted]


def update_catalogs(languages: Iterable[str] | None = None) -> None:
    """Merge the code's messages into the catalogs (all, or only `languages`)."""
    extract()
    for path in catalog_paths(languages):
        language = path.parent.parent.name
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        # A fresh template each time: Catalog.update shares message objects with it.
        with TEMPLATE.open("rb") as file:
            catalog.update(read_po(file), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == DEFAULT_LANGUAGE:
            for message in catalog:
                message.flags.discard("fuzzy")  # English is the source: nothing to review
                if isinstance(message.id, tuple):
                    if not all(message.string):
                        message.string = message.id
                elif message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, sort_output=True, no_location=True)


@dataclass
class Problem:
    catalog: str
    msgid: str
    what: str


def emoji(text: str) -> list[str]:
    """The pictographs of a text (`✅`, `🌏`), in order; variation selectors are not counted."""
    return [char for char in text if unicodedata.category(char) == "So"]


def translation_problems(source: str, string: str) -> list[str]:
    """What a translation changed that it must keep: placeholders, HTML tags and references, emoji,
    and newlines at its edges (they join texts shown one after another)."""
    checks = (
        ("placeholders", lambda text: sorted(PLACEHOLDER.findall(text))),
        ("HTML", lambda text: sorted(_MARKUP.findall(text))),
        ("emoji", lambda text: sorted(emoji(text))),
        (
            "newlines at the edges",
            lambda text: (len(text) - len(text.lstrip("\n")), len(text) - len(text.rstrip("\n"))),
        ),
    )
    return [f"{what} differ: {string!r}" for what, key in checks if key(string) != key(source)]


def catalog_problems(
    template: Catalog | None = None, languages: Iterable[str] | None = None
) -> list[Problem]:
    """Stale (msgid missing), untranslated, fuzzy, or placeholders, HTML or emoji that differ."""
    template = template or extract(LOCALES_DIR / f".{DOMAIN}.check.pot")
    expected = {message.id for message in template if message.id}
    problems: list[Problem] = []
    for path in catalog_paths(languages):
        language = path.parent.parent.name
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        present = {message.id for message in catalog if message.id}
        problems += [Problem(language, msgid, "missing") for msgid in sorted(expected - present, key=str)]
        for message in catalog:
            if not message.id or message.id not in expected:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems.append(Problem(language, message.id, "untranslated or fuzzy"))
                continue
            source = message.id if isinstance(message.id, str) else message.id[0]
            for string in strings:
                problems += [
                    Problem(language, message.id, what) for what in translation_problems(source, string)
                ]
    return problems


# Where a language's grammar bends the event's name. French and Spanish need an article before a
# name that starts with a common noun ("inscrit au Dialogue…", "Le Dialogue… aura lieu"), which a
# bare placeholder drops: the catalogs give the name in apposition ("l'événement {event}"), which
# reads right with any name. A name given with its article would need contractions ("à le").
@dataclass(frozen=True)
class NameGrammar:
    prepositions: frozenset[str]  # after these the name needs its article
    articles: frozenset[str]
    contractions: frozenset[str]  # preposition + article written as one word ("à le" -> "au")


NAME_GRAMMAR = {
    "fr": NameGrammar(
        frozenset("à de pour par avec sur dans en chez vers".split()),
        frozenset(("le", "la", "les", "l'", "l’")),
        frozenset(("à le", "à les", "de le", "de les")),
    ),
    "es": NameGrammar(
        frozenset("a de para por con en sobre desde hacia".split()),
        frozenset(("el", "la", "los", "las")),
        frozenset(("a el", "de el")),
    ),
}
EVENT_NAME_PLACEHOLDERS = ("{event}", "{event_name}")
_FIRST_WORD = re.compile(r"\w+['’]?")
_LAST_WORD = re.compile(r"(\w+)\W*$")
_SENTENCE_START = re.compile(r"(?:^|[.!?])[^\w]*$")
# A status after a named item ("{title}: not published yet."): its words cannot agree with a
# title whose gender and number vary ("Informations techniques"), so they must not be participles
# or verbs that agree.
_ITEM_STATUS = re.compile(r"^\{\w+\}\s*:\s*(.+)$", re.DOTALL)
AGREEING_WORDS = {
    "fr": re.compile(r"\b\w+(?:é|ée|és|ées)\b"),
    "es": re.compile(r"\b\w+(?:ad|id)(?:o|a|os|as)\b"),
    "hi": re.compile(r"(?:हुआ|हुई|हुए|गया|गई|गए)(?=\s|।|$)"),
    "ur": re.compile(r"(?:ہوا|ہوئی|ہوئے|گیا|گئی|گئے)(?=\s|۔|$)"),
}


def event_name_slip(string: str, name: str, grammar: NameGrammar) -> str | None:
    """How the event's name, inserted into `string`, misses its article; None if it reads right."""
    first_word = _FIRST_WORD.match(name)
    first = first_word.group().lower() if first_word else ""
    for placeholder in EVENT_NAME_PLACEHOLDERS:
        for part in string.split(placeholder)[:-1]:
            before = _MARKUP.sub("", part)
            last = _LAST_WORD.search(before)
            previous = last.group(1).lower() if last else ""
            if f"{previous} {first}" in grammar.contractions:
                return f"“{previous} {first}” where the contracted form is needed"
            if first in grammar.articles:
                continue
            if previous in grammar.prepositions:
                return f"the event's name after “{previous}” without its article"
            if _SENTENCE_START.search(before):
                return "the event's name opens a sentence without its article"
    return None


def grammar_problems(event_names: dict[str, str], languages: Iterable[str] | None = None) -> list[Problem]:
    """The event's name without its article once inserted (`event_names`: its name per language),
    and statuses after a named item that agree with it in gender or number."""
    problems: list[Problem] = []
    for path in catalog_paths(languages):
        language = path.parent.parent.name
        grammar, agreeing = NAME_GRAMMAR.get(language), AGREEING_WORDS.get(language)
        if grammar is None and agreeing is None:
            continue
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        name = event_names.get(language) or event_names[DEFAULT_LANGUAGE]
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in filter(None, strings):
                slip = grammar and event_name_slip(string, name, grammar)
                if slip:
                    problems.append(Problem(language, message.id, f"{slip}: {string!r}"))
                status = _ITEM_STATUS.match(string)
                if status and agreeing and agreeing.search(status.group(1)):
                    what = f"a status that agrees with a named item of any gender: {string!r}"
                    problems.append(Problem(language, message.id, what))
    return problems


def catalog_completeness(
    problems: list[Problem], template: Catalog, languages: Iterable[str] | None = None
) -> dict[str, tuple[int, int]]:
    """(messages without any problem, messages in the code) per catalog."""
    total = len([message for message in template if message.id])
    faulty: dict[str, set[str]] = {}
    for problem in problems:
        faulty.setdefault(problem.catalog, set()).add(problem.msgid)
    return {
        path.parent.parent.name: (total - len(faulty.get(path.parent.parent.name, ())), total)
        for path in catalog_paths(languages)
    }


def localized_texts(value: object, where: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(path, {language: text}) of every text given per language in the event (name, roles...)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            # The form's questions are the `form:` list of the file: `form[role].options[delegate]`.
            inner = where if (where, name) == ("form", "questions") else f"{where}.{name}" if where else name
            yield from localized_texts(getattr(value, name), inner)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            label = getattr(item, "id", index)
            yield from localized_texts(item, f"{where}[{label}]")
    elif isinstance(value, dict) and value and all(isinstance(text, str) for text in value.values()):
        if DEFAULT_LANGUAGE in value:
            yield where, value


def event_missing_texts(event: BaseModel, languages: Iterable[str]) -> dict[str, list[str]]:
    """Event texts -> the languages that read them in English for lack of a translation."""
    languages = [language for language in languages if language != DEFAULT_LANGUAGE]
    missing: dict[str, list[str]] = {}
    for where, texts in localized_texts(event, ""):
        absent = [language for language in languages if not texts.get(language)]
        if absent:
            missing[where] = absent
    return missing


def main(only: list[str] | None = None) -> int:
    """Update and check the catalogs (or `only` these); print the problems and what the event
    file shows in English. Exit status 1 when a catalog has a problem."""
    update_catalogs(only)
    template = extract(LOCALES_DIR / f".{DOMAIN}.check.pot")
    path, event = _event()
    problems = catalog_problems(template, only) + grammar_problems(event.name, only)
    for problem in problems:
        print(f"{problem.catalog}: {problem.what}: {problem.msgid!r}")
    for language, (complete, total) in catalog_completeness(problems, template, only).items():
        print(f"{language}: {complete}/{total} complete")
    print(f"{len(catalog_paths(only))} catalogs, {len(problems)} problems")
    _report_event_texts(path, event, only)
    return 1 if problems else 0


def _event() -> tuple[Path, Event]:
    from bot.core.event import load_event
    from bot.core.settings import Settings

    path = Settings().event_file
    return path, load_event(path)


def _report_event_texts(path: Path, event: BaseModel, languages: list[str] | None) -> None:
    from bot.core.i18n import supported_languages

    missing = event_missing_texts(event, languages or supported_languages())
    for where, absent in missing.items():
        print(f"{path.name}: {where}: in English for {' '.join(absent)}")
    print(f"{path.name}: {len(missing)} texts fall back to English somewhere")
