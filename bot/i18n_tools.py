"""Catalog maintenance: `python -m bot i18n` extracts, updates and checks every catalog.

Messages are marked with `_()` (handlers), `N_()` (translated where shown) and `T()` (dialogue
widgets). English msgids are the source; the English catalog mirrors them so that wording can be
edited without touching code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.config import PROJECT_ROOT
from bot.i18n import DEFAULT_LANGUAGE, DOMAIN, LOCALES_DIR

KEYWORDS = ("_", "N_", "T")
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


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
            "models",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with output.open("rb") as file:
        return read_po(file)


def catalog_paths() -> list[Path]:
    return sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def update_catalogs() -> None:
    extract()
    for path in catalog_paths():
        language = path.parent.parent.name
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        # A fresh template each time: Catalog.update shares message objects with it.
        with TEMPLATE.open("rb") as file:
            catalog.update(read_po(file), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == DEFAULT_LANGUAGE:
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, sort_output=True, no_location=True)


@dataclass
class Problem:
    catalog: str
    msgid: str
    what: str


def catalog_problems(template: Catalog | None = None) -> list[Problem]:
    """Stale (msgid missing), untranslated, fuzzy, or placeholders that differ from the msgid."""
    template = template or extract(LOCALES_DIR / f".{DOMAIN}.check.pot")
    expected = {message.id for message in template if message.id}
    problems: list[Problem] = []
    for path in catalog_paths():
        language = path.parent.parent.name
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        present = {message.id for message in catalog if message.id}
        problems += [Problem(language, msgid, "missing") for msgid in sorted(expected - present)]
        for message in catalog:
            if not message.id or message.id not in expected:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems.append(Problem(language, message.id, "untranslated or fuzzy"))
                continue
            wanted = sorted(
                _PLACEHOLDER.findall(message.id if isinstance(message.id, str) else message.id[0])
            )
            for string in strings:
                if sorted(_PLACEHOLDER.findall(string)) != wanted:
                    problems.append(Problem(language, message.id, f"placeholders differ: {string!r}"))
    return problems


def main() -> int:
    update_catalogs()
    problems = catalog_problems()
    for problem in problems:
        print(f"{problem.catalog}: {problem.what}: {problem.msgid!r}")
    print(f"{len(catalog_paths())} catalogs, {len(problems)} problems")
    return 1 if problems else 0
