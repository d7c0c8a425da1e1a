"""The event file: everything event-specific, edited by organisers, never in code.

Texts that delegates read are given per language (`{en: ..., fr: ...}`); English is the fallback
where a translation is missing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

FALLBACK_LANGUAGE = "en"

LocalizedText = dict[str, str]


def localized(text: LocalizedText, language: str) -> str:
    """The text in `language`, else its base language, else English, else any."""
    base = language.split("_", 1)[0]
    for candidate in (language, base, FALLBACK_LANGUAGE):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """A choice offered in the form (participation role, dietary need…)."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    label: LocalizedText


class Privacy(_Strict):
    version: str
    notice: LocalizedText


class Place(_Strict):
    name: LocalizedText
    address: LocalizedText = {}
    latitude: float | None = None
    longitude: float | None = None
    placeholder: bool = False


class GenderBalancePolicy(StrEnum):
    OFF = "off"
    ADVISE = "advise"
    REQUIRE = "require"


class Event(_Strict):
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
    roles: tuple[Option, ...]
    dietary_options: tuple[Option, ...] = ()
    usual_countries: tuple[str, ...] = ()
    venue: Place | None = None
    hotel: Place | None = None

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
        if not self.roles:
            raise ValueError("at least one participation role is needed")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def role(self, role_id: str) -> Option | None:
        return next((role for role in self.roles if role.id == role_id), None)

    def dietary(self, option_id: str) -> Option | None:
        return next((option for option in self.dietary_options if option.id == option_id), None)


class EventFileError(SystemExit):
    """Start-up stops with one line that says what is wrong in the event file."""


def load_event(path: Path) -> Event:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise EventFileError(f"Invalid setting EVENT_FILE: cannot read {path}: {error}") from None
    except yaml.YAMLError as error:
        raise EventFileError(f"Event file {path} is not valid YAML: {error}") from None
    try:
        return Event.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise EventFileError(f"Event file {path}: {where}: {first['msg']}") from None
