"""The event file: everything event-specific, edited by organisers, never in code.

Texts that delegates read are given per language (`{en: ..., fr: ...}`); English is the fallback
where a translation is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from pydantic import Field, ValidationError, field_validator, model_validator

# Re-exported: the event file's texts and options are those of its form.
from bot.core.form import FALLBACK_LANGUAGE as FALLBACK_LANGUAGE
from bot.core.form import Form, Strict, check_fields
from bot.core.form import LocalizedText as LocalizedText
from bot.core.form import Option as Option


def localized(text: LocalizedText, language: str) -> str:
    """The text in `language`, else its base language, else English, else any."""
    base = language.split("_", 1)[0]
    for candidate in (language, base, FALLBACK_LANGUAGE):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")


class Privacy(Strict):
    version: str
    notice: LocalizedText


class Place(Strict):
    name: LocalizedText
    address: LocalizedText = {}
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    details: LocalizedText = {}
    placeholder: bool = False

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Session(Strict):
    """A programme session; times are local to the event's time zone."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    starts_at: time
    ends_at: time
    title: LocalizedText
    speakers: tuple[str, ...] = ()
    room: LocalizedText = {}
    description: LocalizedText = {}
    # How delegates name or ask about it ("the opening", "welcome speeches"), per language: they
    # recognise a typed question, beside the title.
    variants: dict[str, tuple[str, ...]] = {}
    placeholder: bool = False

    @field_validator("starts_at", "ends_at", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML reads an unquoted 08:30 as the number 510: refuse it rather than guess.
        if isinstance(value, int):
            raise ValueError('write times in quotes, e.g. "08:30"')
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.ends_at <= self.starts_at:
            raise ValueError(f"session {self.id} ends before it starts")
        return self


class ProgrammeDay(Strict):
    date: date
    sessions: tuple[Session, ...] = ()


class Programme(Strict):
    # Shown with a warning until the organisers publish the final programme.
    provisional: bool = True
    days: tuple[ProgrammeDay, ...] = ()

    def sessions(self) -> list[tuple[date, Session]]:
        return [(day.date, session) for day in self.days for session in day.sessions]

    def session(self, session_id: str) -> tuple[date, Session] | None:
        return next(((day, s) for day, s in self.sessions() if s.id == session_id), None)


class Notice(Strict):
    """A logistics text (airport transfer, visa)."""

    text: LocalizedText
    placeholder: bool = False


# The document that is the programme: the chat shows the programme's days before its link or file
# is published, so delegates are sent to /programme rather than told it is not published.
PROGRAMME_DOCUMENT = "programme"


class Document(Strict):
    """A document delegates can open: a link, or a file next to the event file."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    title: LocalizedText
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    file: str | None = None
    placeholder: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> Document:
        if self.url and self.file:
            raise ValueError(f"document {self.id}: give url or file, not both")
        return self


class Contact(Strict):
    name: str
    role: LocalizedText = {}
    email: str | None = None
    phone: str | None = None
    telegram: str | None = Field(default=None, pattern=r"^@[A-Za-z0-9_]{5,32}$")


class Topic(StrEnum):
    """A section of the event file that answers a FAQ entry."""

    DATES = "dates"
    VENUE = "venue"
    DEADLINE = "deadline"
    HOTEL = "hotel"
    AIRPORT_TRANSFER = "airport_transfer"
    VISA = "visa"
    DOCUMENTS = "documents"
    CONTACTS = "contacts"
    PROGRAMME = "programme"


# Names a FAQ answer may use; they are filled from the event file where the answer is shown.
ANSWER_FIELDS = frozenset({"dates", "city", "deadline", "changes_deadline", "email"})


class FaqEntry(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    question: LocalizedText
    answer: LocalizedText = {}
    topic: Topic | None = None
    # Other ways delegates ask, per language: only used to recognise typed questions.
    variants: dict[str, tuple[str, ...]] = {}
    placeholder: bool = False

    @model_validator(mode="after")
    def _answered(self) -> FaqEntry:
        if bool(self.answer) == (self.topic is not None):
            raise ValueError(f"faq {self.id}: give either an answer or a topic")
        if FALLBACK_LANGUAGE not in self.question:
            raise ValueError(f"faq {self.id}: the question needs an English text")
        for language, text in self.answer.items():
            try:
                check_fields(text, ANSWER_FIELDS)
            except ValueError as error:
                raise ValueError(f"faq {self.id}.answer.{language}: {error}") from None
        return self


class Reminders(Strict):
    """Reminders to people who started registering and did not confirm."""

    # Sent on each of these days before the registration deadline's day, at `at` (event time).
    days_before_deadline: tuple[int, ...] = ()
    at: time = time(10, 0)

    @field_validator("days_before_deadline")
    @classmethod
    def _sensible_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= day <= 365 for day in days) or len(set(days)) != len(days):
            raise ValueError("distinct numbers of days between 0 and 365")
        return days


class GenderBalancePolicy(StrEnum):
    OFF = "off"
    ADVISE = "advise"
    REQUIRE = "require"


class Event(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    name: LocalizedText
    organiser: str
    city: LocalizedText
    country: str = Field(pattern=r"^[A-Z]{2}$")
    timezone: str
    starts_on: date
    ends_on: date
    invitation_date: date | None = None
    registration_deadline: datetime
    changes_deadline: datetime
    allow_late_registration: bool = False
    contact_email: str
    website: str | None = None
    gender_balance: GenderBalancePolicy = GenderBalancePolicy.ADVISE
    privacy: Privacy
    # The registration form (bot/core/form.py, docs/forms.md).
    form: Form
    usual_countries: tuple[str, ...] = ()
    venue: Place | None = None
    hotel: Place | None = None
    programme: Programme = Programme()
    airport_transfer: Notice | None = None
    visa: Notice | None = None
    documents: tuple[Document, ...] = ()
    contacts: tuple[Contact, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    reminders: Reminders = Reminders()

    @field_validator("form", mode="before")
    @classmethod
    def _questions(cls, value: object) -> object:
        return {"questions": value} if isinstance(value, list | tuple) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("registration_deadline", "changes_deadline")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2024-05-15T23:59:59+02:00")
        return value

    @field_validator("usual_countries")
    @classmethod
    def _known_countries(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        territories = Locale("en").territories
        unknown = [code for code in codes if code not in territories]
        if unknown:
            raise ValueError(f"unknown country codes: {', '.join(unknown)}")
        return codes

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if FALLBACK_LANGUAGE not in self.name:
            raise ValueError("name needs an English text")
        days = [day.date for day in self.programme.days]
        if any(not self.starts_on <= day <= self.ends_on for day in days) or len(set(days)) != len(days):
            raise ValueError("programme days must be distinct days of the event")
        for kind, ids in (
            ("session", [s.id for _, s in self.programme.sessions()]),
            ("faq", [entry.id for entry in self.faq]),
            ("document", [document.id for document in self.documents]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{kind} ids must be unique")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def roles(self) -> tuple[Option, ...]:
        """The participation roles: the options of the form's `role` question."""
        question = self.form.question("role")
        return question.options if question else ()

    @property
    def dietary_options(self) -> tuple[Option, ...]:
        question = self.form.question("dietary")
        return question.options if question else ()

    def role(self, role_id: str) -> Option | None:
        return next((role for role in self.roles if role.id == role_id), None)

    def dietary(self, option_id: str) -> Option | None:
        return next((option for option in self.dietary_options if option.id == option_id), None)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return next((entry for entry in self.faq if entry.id == entry_id), None)

    def document(self, document_id: str) -> Document | None:
        return next((document for document in self.documents if document.id == document_id), None)

    def in_programme(self, document: Document) -> bool:
        """Whether /programme shows what the document holds (the programme, with its days)."""
        return document.id == PROGRAMME_DOCUMENT and bool(self.programme.days)

    def unpublished(self) -> list[str]:
        """What delegates read is not published yet: `programme` without days, and the documents
        with neither link nor file that /programme does not show either."""
        missing = [] if self.programme.days else ["programme"]
        return missing + [
            f"documents[{document.id}]"
            for document in self.documents
            if not (document.url or document.file or self.in_programme(document))
        ]


class EventFileError(SystemExit):
    """Start-up stops with one line that says what is wrong in the event file."""


# PyYAML's safe loader in C (libyaml, in its wheels): the event file loads in a tenth of the time.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_event(path: Path) -> Event:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as error:
        raise EventFileError(f"Invalid setting EVENT_FILE: cannot read {path}: {error}") from None
    except yaml.YAMLError as error:
        raise EventFileError(f"Event file {path} is not valid YAML: {error}") from None
    try:
        event = Event.model_validate(raw)
    except ValidationError as error:
        where, message = error_place(error.errors()[0])
        raise EventFileError(f"Event file {path}: {where}: {message}") from None
    for document in event.documents:
        if document.file and not (path.parent / document.file).is_file():
            raise EventFileError(f"Event file {path}: documents.{document.id}.file: no file {document.file}")
    return event


def error_place(error: dict) -> tuple[str, str]:
    """Where a validation error is, as organisers find it in the file (`form[7].options[2].label`),
    and what it says."""
    where = ""
    for part in error["loc"]:
        if part == "questions" and where == "form":
            continue  # the form is a list in the file
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    cause = (error.get("ctx") or {}).get("error")
    where += getattr(cause, "path", "")
    message = str(cause) if cause is not None else error["msg"]
    return where or "(top)", message


@dataclass(frozen=True)
class Answerable:
    """What can answer a question: a FAQ entry (`faq:<id>`), a programme session (`session:<id>`),
    a part of the programme (`day:<date>`, `morning:<date>`, `afternoon:<date>`) or the bot's own
    guide (`guide:<topic>`, bot/questions/guide.py)."""

    key: str

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def id(self) -> str:
        return self.key.split(":", 1)[1]
