"""`python -m bot content-missing [--only LANG ...]`: event-file texts missing per language.

Every text delegates read is given per language in the event file; a missing one is shown in
English. This lists, for each language (those with a catalog and those the file already uses),
which texts and which FAQ question variants are still missing, so translators know what to add;
then what delegates are told is not published yet (the programme, documents), so organisers know
what to publish.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from bot.core.event import FALLBACK_LANGUAGE, Event, load_event
from bot.core.i18n import supported_languages


def localized_texts(model: BaseModel, path: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """(path, {language: text}) of every translated text in the model, e.g. `faq[hotel].question`."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{path}.{name}" if path else name
        if name == "variants":
            continue
        yield from _walk(value, where)


def _walk(value: object, where: str) -> Iterator[tuple[str, dict[str, str]]]:
    if isinstance(value, BaseModel):
        yield from localized_texts(value, where)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{getattr(item, 'id', getattr(item, 'date', index))}]")
    elif isinstance(value, dict) and value and all(isinstance(text, str) for text in value.values()):
        yield where, value


def languages_of(event: Event) -> list[str]:
    used = {language for _, texts in localized_texts(event) for language in texts}
    used |= {language for entry in event.faq for language in entry.variants}
    return sorted(set(supported_languages()) | used, key=lambda code: (code != FALLBACK_LANGUAGE, code))


def missing(event: Event, languages: list[str]) -> dict[str, list[str]]:
    """Per language: paths of texts missing in it, then `faq[id].variants` without it."""
    texts = list(localized_texts(event))
    report: dict[str, list[str]] = {}
    for language in languages:
        gaps = [path for path, values in texts if not values.get(language)]
        gaps += [f"faq[{entry.id}].variants" for entry in event.faq if not entry.variants.get(language)]
        report[language] = gaps
    return report


def main(event_file: Path, languages: list[str] | None = None) -> int:
    event = load_event(event_file)
    languages = languages or languages_of(event)
    total = len(list(localized_texts(event)))
    print(f"{event_file}: {total} texts, {len(event.faq)} FAQ entries; English is the fallback.")
    for language, gaps in missing(event, languages).items():
        if not gaps:
            print(f"{language}: complete")
            continue
        print(f"{language}: {len(gaps)} missing")
        for path in gaps:
            print(f"  {path}")
    unpublished = event.unpublished()
    print(f"Delegates read “not published yet” for: {', '.join(unpublished) or 'nothing'}")
    return 0
