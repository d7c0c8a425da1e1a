"""The registration form, as the event file's `form:` section defines it (docs/forms.md).

An ordered list of questions, each with a type, its text per language, optional help, whether it
is required (and the label of its skip button), options for choices, conditions on earlier
answers (`when`) and whether it is sensitive. A group (a flight: its date, time and number) is
asked question by question and skipped together.

Answers are JSON-safe values keyed by the question's id (a group's by `<group>_<question>`,
e.g. `arrival_date`): the dialogue keeps them so, and storage keeps the built-in kinds (`BUILT_IN`)
in their own columns, any other in one JSON column. Nothing here knows Telegram.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.models.registration import Gender

FALLBACK_LANGUAGE = "en"
LocalizedText = dict[str, str]


class QuestionType(StrEnum):
    TEXT = "text"  # one line, up to 200 characters
    LONG_TEXT = "long_text"  # up to 500 characters
    NAME = "name"  # a person's name: letters, as in a passport
    CHOICE = "choice"  # one option, by buttons
    MULTI = "multi"  # ticks, then Done; `other: true` takes a typed answer besides
    YES_NO = "yes_no"
    DATE = "date"  # buttons around the event (`days`), or typed in the delegate's own order
    TIME = "time"
    EMAIL = "email"
    PHONE = "phone"  # the share-contact button or typed; stored as E.164
    COUNTRY = "country"  # usual countries as buttons, or found by typing a name
    NUMBER = "number"  # a whole number, within `min` and `max`
    FLIGHT = "flight"  # a flight number: PR 431
    DOCUMENT = "document"  # a passport or ID number: letters and digits
    GROUP = "group"  # its `questions`, asked one by one, skipped together


# Choice types: their answers can be counted (headcount) and chosen as a broadcast audience.
COUNTED_TYPES = frozenset(
    {QuestionType.CHOICE, QuestionType.MULTI, QuestionType.YES_NO, QuestionType.COUNTRY}
)


class DateButtons(StrEnum):
    """The days offered as buttons by a date question."""

    BEFORE_START = "before_start"  # the three days before the event and its first day (arrivals)
    AFTER_END = "after_end"  # its last day and the three after (departures)
    EVENT = "event"  # the event's days


# The kinds that other features rely on (find, delegations, check-in, travel and hotel lists,
# the gender balance): their answers keep typed, indexed columns, and a form that asks one must
# give it this type. Any other question is free.
BUILT_IN: Mapping[str, frozenset[QuestionType]] = {
    "full_name": frozenset({QuestionType.NAME}),
    "gender": frozenset({QuestionType.CHOICE}),
    "country": frozenset({QuestionType.COUNTRY}),
    "organisation": frozenset({QuestionType.TEXT}),
    "position": frozenset({QuestionType.TEXT}),
    "role": frozenset({QuestionType.CHOICE}),
    "email": frozenset({QuestionType.EMAIL}),
    "phone": frozenset({QuestionType.PHONE}),
    "arrival": frozenset({QuestionType.GROUP}),
    "arrival_date": frozenset({QuestionType.DATE}),
    "arrival_time": frozenset({QuestionType.TIME}),
    "arrival_flight": frozenset({QuestionType.FLIGHT}),
    "departure": frozenset({QuestionType.GROUP}),
    "departure_date": frozenset({QuestionType.DATE}),
    "departure_time": frozenset({QuestionType.TIME}),
    "departure_flight": frozenset({QuestionType.FLIGHT}),
    "hotel_needed": frozenset({QuestionType.YES_NO}),
    # The hotel's dates where they are not the travel's (no airport transfer asked).
    "hotel_check_in": frozenset({QuestionType.DATE}),
    "hotel_check_out": frozenset({QuestionType.DATE}),
    "visa_needed": frozenset({QuestionType.YES_NO}),
    "nationality": frozenset({QuestionType.COUNTRY}),
    "passport_number": frozenset({QuestionType.DOCUMENT}),
    "dietary": frozenset({QuestionType.MULTI}),
    "accessibility": frozenset({QuestionType.LONG_TEXT}),
}
# Answers kept in columns of their own: the built-in kinds, and what is typed besides the ticks of
# the dietary question.
COLUMN_KEYS = frozenset(BUILT_IN) | {"dietary_notes"}
# The gender question's options are the values the gender balance knows.
GENDER_VALUES = tuple(gender.value for gender in Gender)
# Keys a form may not take: the answers the bot asks itself, and what a multi's typed "other"
# is stored under.
RESERVED_KEYS = frozenset({"language", "consent_version", "consent_at"})
# Names a question's text may use, filled in from the event file.
TEXT_FIELDS = frozenset({"city", "event_name"})

_ID = r"^[a-z][a-z0-9_]{0,31}$"
_TAG = re.compile(r"</?([a-z]+)[^>]*>")
# Tags a question's text may carry (Telegram's HTML): the rest would be refused by Telegram.
_ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code"})


class Strict(BaseModel):
    """A part of the event file: unknown keys are errors, and it does not change once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_fields(text: str, known: AbstractSet[str]) -> None:
    """The {names} a text fills in are among `known`; else a ValueError that lists them."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    if names - known:
        raise ValueError(f"unknown {{{', '.join(sorted(names - known))}}}; known: {', '.join(sorted(known))}")


def _check_text(text: LocalizedText, *, needs_english: bool = True) -> LocalizedText:
    if needs_english and text and FALLBACK_LANGUAGE not in text:
        raise ValueError("needs an English text (en), the fallback for other languages")
    for language, value in text.items():
        try:
            check_fields(value, TEXT_FIELDS)
        except ValueError as error:
            raise ValueError(f"{language}: {error}") from None
        tags = set(_TAG.findall(value)) - _ALLOWED_TAGS
        if tags:
            raise ValueError(
                f"{language}: tag <{sorted(tags)[0]}> is not allowed; use <b>, <i>, <u>, <s>, <code>"
            )
    return text


class Option(Strict):
    """An option of a choice or multiple-choice question."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    label: LocalizedText

    @field_validator("label")
    @classmethod
    def _english(cls, label: LocalizedText) -> LocalizedText:
        return _check_text(label)


class Condition(Strict):
    """`when:` on one earlier answer: one of `equals` (a value or a list), or none of `not`."""

    equals: tuple[Any, ...] | None = None
    not_: tuple[Any, ...] | None = Field(default=None, alias="not")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `visa_needed: true` and `country: [PH, ID]` mean equals; `country: {not: PH}` the reverse.
        if isinstance(value, dict):
            return {key: _as_tuple(item) for key, item in value.items()}
        return {"equals": _as_tuple(value)}

    def holds(self, answer: Any) -> bool:
        if isinstance(answer, list):  # a multiple choice: any tick
            if self.equals is not None:
                return any(value in self.equals for value in answer)
            return not any(value in (self.not_ or ()) for value in answer)
        return answer in self.equals if self.equals is not None else answer not in (self.not_ or ())


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


class Question(Strict):
    id: str = Field(pattern=_ID)
    type: QuestionType
    text: LocalizedText = {}  # a group's questions have theirs
    # Its name on the review, /me, staff cards and export headers; the text without tags if none.
    label: LocalizedText = {}
    help: LocalizedText = {}
    required: bool = True
    # The skip button of an optional question (a group: of its first question), and what the
    # review says when it was skipped.
    skip: LocalizedText = {}
    none: LocalizedText = {}
    options: tuple[Option, ...] = ()
    other: bool = False
    min: int | None = None
    max: int | None = None
    days: DateButtons | None = None
    latin: bool = False  # a name: in Latin letters, as the passport's machine-readable line
    sensitive: bool = False
    when: dict[str, Condition] = {}
    questions: tuple[Question, ...] = ()

    @field_validator("text", "label", "help", "skip", "none")
    @classmethod
    def _texts(cls, text: LocalizedText) -> LocalizedText:
        return _check_text(text)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        kind = self.type
        if not self.text and kind is not QuestionType.GROUP:
            raise _FormError(".text", "a question needs its text")
        if kind in (QuestionType.CHOICE, QuestionType.MULTI):
            if not self.options:
                raise ValueError(f"a {kind} question needs options")
            ids = [option.id for option in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError("option ids must be unique")
        elif self.options:
            raise ValueError(f"a {kind} question has no options")
        if self.other and kind is not QuestionType.MULTI:
            raise ValueError("only a multi question takes other: true")
        if (self.min is not None or self.max is not None) and kind is not QuestionType.NUMBER:
            raise ValueError("min and max are for number questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        if self.days is not None and kind is not QuestionType.DATE:
            raise ValueError("days are for date questions")
        if self.latin and kind is not QuestionType.NAME:
            raise ValueError("latin is for name questions")
        if kind is QuestionType.GROUP:
            if not self.questions:
                raise ValueError("a group needs its questions")
            if any(question.type is QuestionType.GROUP for question in self.questions):
                raise ValueError("a group cannot hold a group")
            if any(question.when for question in self.questions):
                raise ValueError("the questions of a group take no when: the group does")
        elif self.questions:
            raise ValueError("only a group has questions")
        return self

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class Step:
    """A question the dialogue asks: a top-level question, or one of a group's."""

    key: str  # where its answer is kept: the id, or `<group>_<id>` in a group
    question: Question
    group: Question | None = None

    @property
    def field(self) -> str:
        """The review item it belongs to: its group's, or its own."""
        return self.group.id if self.group else self.key

    @property
    def first_of_group(self) -> bool:
        return self.group is not None and self.group.questions[0] is self.question

    @property
    def sensitive(self) -> bool:
        return self.question.sensitive or (self.group is not None and self.group.sensitive)

    @property
    def other_key(self) -> str:
        """Where a multi question's typed "other" answer is kept."""
        return f"{self.key}_notes"

    # Read for every question on every render (the progress line): worked out once.
    @cached_property
    def conditions(self) -> tuple[tuple[str, Condition], ...]:
        """Its `when:` (a group's question: the group's)."""
        return tuple((self.group or self.question).when.items())

    @cached_property
    def first_key(self) -> str | None:
        """A group's later question: the key of the group's first, which must be answered first."""
        if self.group is None or self.first_of_group:
            return None
        return f"{self.group.id}_{self.group.questions[0].id}"


class Form(Strict):
    """The `form:` section: the ordered questions."""

    questions: tuple[Question, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Form:
        seen: set[str] = set()
        for index, question in enumerate(self.questions):
            for step in _steps_of(question):
                where = f"[{index}]"
                if step.group is not None:
                    where += f".questions[{step.group.questions.index(step.question)}]"
                if step.key in seen or step.key in RESERVED_KEYS:
                    raise _FormError(where + ".id", f"{step.key!r} is already used")
                allowed = BUILT_IN.get(step.key)
                if allowed is not None and step.question.type not in allowed:
                    raise _FormError(
                        where + ".type",
                        f"{step.key} is a built-in kind: its type is {' or '.join(sorted(allowed))}",
                    )
                seen.add(step.key)
            allowed = BUILT_IN.get(question.id)
            if allowed is not None and question.type not in allowed:
                raise _FormError(
                    f"[{index}].type",
                    f"{question.id} is a built-in kind: its type is {' or '.join(sorted(allowed))}",
                )
            seen.add(question.id)
            for key in question.when:
                if key not in seen or key == question.id:
                    raise _FormError(f"[{index}].when.{key}", "names no question before this one")
        self._check_built_ins()
        return self

    def _check_built_ins(self) -> None:
        steps = {step.key: (index, step) for index, step in self._indexed_steps()}
        if "full_name" not in steps:
            raise _FormError("", "the form needs a full_name question (type name): staff find people by it")
        if "gender" in steps:
            index, step = steps["gender"]
            unknown = [option.id for option in step.question.options if option.id not in GENDER_VALUES]
            if unknown:
                raise _FormError(
                    f"[{index}].options", f"gender options are {', '.join(GENDER_VALUES)}; not {unknown[0]}"
                )
        if "passport_number" in steps and not steps["passport_number"][1].sensitive:
            raise _FormError(
                f"[{steps['passport_number'][0]}].sensitive", "a passport number is sensitive: true"
            )
        # Other built-in kinds are read in clear (/find, check-in, the travel lists), and their
        # columns are too short for ciphertext.
        for key, (index, step) in steps.items():
            if step.sensitive and key in BUILT_IN and key != "passport_number":
                raise _FormError(
                    f"[{index}].sensitive", f"{key} is a built-in kind read in clear: it cannot be sensitive"
                )

    def _indexed_steps(self) -> Iterable[tuple[int, Step]]:
        for index, question in enumerate(self.questions):
            for step in _steps_of(question):
                yield index, step

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for _, step in self._indexed_steps())

    @cached_property
    def _by_key(self) -> dict[str, Step]:
        return {step.key: step for step in self.steps}

    def step(self, key: str) -> Step | None:
        return self._by_key.get(key)

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    def has(self, key: str) -> bool:
        return key in self._by_key

    @cached_property
    def _by_field(self) -> dict[str, tuple[Step, ...]]:
        fields: dict[str, list[Step]] = {}
        for step in self.steps:
            fields.setdefault(step.field, []).append(step)
        return {field: tuple(steps) for field, steps in fields.items()}

    def steps_of(self, field: str) -> tuple[Step, ...]:
        """The steps of a review item (a top-level question's id): its own, or its group's."""
        return self._by_field.get(field, ())

    @cached_property
    def answer_keys(self) -> frozenset[str]:
        """Every key the form stores an answer under: its steps', and a multi's typed other."""
        return frozenset(self._by_key) | {step.other_key for step in self.steps if step.question.other}

    def applies(
        self, step: Step, answers: Mapping[str, Any], undecided: AbstractSet[str] = frozenset()
    ) -> bool:
        """Whether the dialogue asks `step`, given the answers before it: its conditions hold, and
        a group's later questions only once its first was answered (not skipped). An `undecided`
        answer (not given yet, and still to be asked) counts as one that would ask it."""

        for key, condition in step.conditions:
            if key not in undecided and not condition.holds(answers.get(key)):
                return False
        first = step.first_key
        return first is None or first in undecided or answers.get(first) is not None

    def missing(self, step: Step, answers: Mapping[str, Any]) -> bool:
        """Asked, and not answered yet (a required question skipped counts as unanswered)."""
        if not self.applies(step, answers):
            return False
        if step.key not in answers:
            return True
        return answers[step.key] is None and step.question.required and not step.first_of_group

    @cached_property
    def required_steps(self) -> tuple[Step, ...]:
        """The questions an answer must be given to, where asked (an optional group's first
        question may be skipped, which skips the group)."""
        return tuple(
            step
            for step in self.steps
            if step.question.required and not (step.first_of_group and not step.group.required)
        )

    def unanswered(self, answers: Mapping[str, Any]) -> list[Step]:
        """Required questions asked and not answered: added to the form after these answers."""
        return [step for step in self.required_steps if self.missing(step, answers)]

    def may_ask(self, answers: Mapping[str, Any]) -> list[Step]:
        """The steps asked, or that may still be asked because what decides them is not answered
        yet (the flight until the arrival day is given, the passport until the visa letter is
        declined): their count only goes down as answers close branches, never up."""
        steps: list[Step] = []
        undecided: set[str] = set()  # answers not given yet of the questions counted so far
        for step in self.steps:
            if self.applies(step, answers, undecided):
                steps.append(step)
                if step.key not in answers:
                    undecided.add(step.key)
        return steps

    def without_unasked(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers with those of questions that no longer apply set to None (a visa letter no
        longer wanted: no passport number kept). Answers to questions not in the form are kept."""
        kept = dict(answers)
        for step in self.steps:
            if step.key in kept and not self.applies(step, kept):
                kept[step.key] = None
                if step.question.other:
                    kept[step.other_key] = None
        return kept

    def counted(self) -> list[Step]:
        """Questions whose answers headcounts break down and broadcasts choose by."""
        return [step for step in self.steps if step.question.type in COUNTED_TYPES]

    @cached_property
    def sensitive_keys(self) -> tuple[str, ...]:
        return tuple(step.key for step in self.steps if step.sensitive)

    def custom(self) -> list[Step]:
        """The questions whose answers are kept in the JSON column."""
        return [step for step in self.steps if step.key not in BUILT_IN]


def counted_values(stored: Any, kind: QuestionType) -> list[str]:
    """An answer as a database reads it back, as the values it counts for: "yes"/"no" for a yes/no
    (a boolean column, JSON true: "true" on PostgreSQL, 1 or "1" on SQLite), each tick of a
    multiple choice (a JSON list, or the dietary column's commas), else the value."""
    if stored is None:
        return []
    if kind is QuestionType.YES_NO:
        return ["yes" if stored in (True, 1, "1", "true") else "no"]
    if isinstance(stored, list):
        return [str(value) for value in stored]
    if kind is QuestionType.MULTI:
        if stored.startswith("["):
            return [str(value) for value in json.loads(stored)]
        return [value for value in stored.split(",") if value]
    return [str(stored)]


def _steps_of(question: Question) -> list[Step]:
    if question.type is QuestionType.GROUP:
        return [Step(f"{question.id}_{child.id}", child, question) for child in question.questions]
    return [Step(question.id, question)]


class _FormError(ValueError):
    """A form error with the path of what is wrong, below `form`."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path


def plain_text(text: str) -> str:
    """A question's text without its tags, for a label."""
    return _TAG.sub("", text)
