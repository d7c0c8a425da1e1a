"""A registration's answers between the dialogue (JSON-safe values by question key) and storage
(the built-in kinds in their columns, the form's other questions in one JSON column)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from bot.core.form import Form
from bot.core.models import Gender, Registration


class Answers(BaseModel):
    """A registration's answers as stored: the built-in kinds (bot/core/form.py `BUILT_IN`) in
    their columns, any other question's in `custom`."""

    model_config = ConfigDict(extra="ignore")

    language: str
    consent_version: str
    consent_at: datetime
    full_name: str
    gender: Gender | None = None
    country: str | None = None
    organisation: str | None = None
    position: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    arrival_date: date | None = None
    arrival_time: time | None = None
    arrival_flight: str | None = None
    departure_date: date | None = None
    departure_time: time | None = None
    departure_flight: str | None = None
    hotel_needed: bool = False
    hotel_check_in: date | None = None
    hotel_check_out: date | None = None
    visa_needed: bool = False
    nationality: str | None = None
    # Encrypted in the dialogue data; a number given in clear is encrypted when stored.
    passport_number: str | None = None
    # Comma-separated ids of the dietary question's options; what was typed besides.
    dietary: str | None = None
    dietary_notes: str | None = None
    accessibility: str | None = None
    custom: dict[str, Any] = {}

    @field_validator("hotel_needed", "visa_needed", mode="before")
    @classmethod
    def _not_asked_is_no(cls, value: Any) -> Any:
        return False if value is None else value

    @classmethod
    def of_dialogue(cls, answers: Mapping[str, Any], form: Form) -> Answers:
        """The dialogue's answers (by question key, JSON-safe) as stored; answers of questions that
        no longer apply are dropped (no passport number kept once no visa letter is wanted)."""
        values = form.without_unasked(answers)
        columns = {key: value for key, value in values.items() if key in COLUMNS}
        if isinstance(columns.get("dietary"), list):
            columns["dietary"] = ",".join(columns["dietary"]) or None
        custom = {key: value for key, value in values.items() if key not in COLUMNS}
        return cls.model_validate({**columns, "custom": custom})

    def dialogue_values(self) -> dict[str, Any]:
        """The answers as the dialogue keeps them (JSON-safe, by question key), `of_dialogue`'s
        reverse: the dietary ticks a list again, as conditions on them read it."""
        values = self.model_dump(mode="json", exclude={"custom"})
        values["dietary"] = [option for option in (self.dietary or "").split(",") if option] or None
        return {**values, **self.custom}


# The answers kept in columns of their own.
COLUMNS = frozenset(Answers.model_fields) - {"custom"}


def answers_of(registration: Registration) -> dict[str, Any]:
    """A stored registration as dialogue data (JSON-safe, by question key), to change it."""
    answers = Answers.model_validate(registration, from_attributes=True)
    return {**answers.dialogue_values(), **(registration.custom_answers or {})}
