"""A registration's answers as people read them (review screen, /me, /mydata, staff cards,
exports), driven by the event file's form: a line per question, in the form's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time
from html import escape
from typing import Any

from bot.core.event import Event, localized
from bot.core.form import Question, QuestionType, Step, plain_text
from bot.core.i18n import N_, country_name, fmt_date, fmt_number, fmt_time, language_name
from bot.core.i18n import gettext as _
from bot.core.labels import yes_no

# The review's first item: the language the bot speaks, asked before the form.
LANGUAGE_FIELD = "language"
LANGUAGE_LABEL = N_("Language")
MISSING = N_("❗ not answered yet")


def fill(text: str, event: Event, language: str) -> str:
    """A form text with the event's names put in ({city}, {event_name})."""
    if "{" not in text:
        return text
    return text.format(
        city=escape(localized(event.city, language)), event_name=escape(localized(event.name, language))
    )


def question_text(question: Question, event: Event, language: str) -> str:
    return fill(localized(question.text, language), event, language)


def question_label(question: Question, event: Event, language: str) -> str:
    """Its short name (review, cards, export headers): its label, or its text without tags."""
    if question.label:
        return fill(localized(question.label, language), event, language)
    return plain_text(question_text(question, event, language))


def step_label(step: Step, event: Event, language: str) -> str:
    return question_label(step.question, event, language)


def _skipped_text(question: Question, event: Event, language: str) -> str:
    for text in (question.none, question.skip):
        if text:
            return fill(localized(text, language), event, language)
    return "—"  # a dash reads the same in every language


def as_date(value: Any) -> date | None:
    """A stored date: ISO text in the dialogue and the JSON column, a date in its own column."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_time(value: Any) -> time | None:
    return time.fromisoformat(value) if isinstance(value, str) else value


def option_label(question: Question, option_id: str, language: str) -> str:
    option = question.option(option_id)
    return localized(option.label, language) if option else escape(str(option_id))


def value_text(step: Step, answers: Mapping[str, Any], event: Event, language: str) -> str:
    """One answer as display text (HTML-escaped where it was typed)."""
    question, value = step.question, answers.get(step.key)
    kind = question.type
    if kind is QuestionType.MULTI:
        chosen = value.split(",") if isinstance(value, str) else value or []
        labels = [option_label(question, option, language) for option in chosen if option]
        if answers.get(step.other_key):
            labels.append(escape(answers[step.other_key]))
        return ", ".join(labels) or _skipped_text(question, event, language)
    if value is None:
        return _skipped_text(question, event, language)
    match kind:
        case QuestionType.CHOICE:
            return option_label(question, value, language)
        case QuestionType.YES_NO:
            return yes_no(bool(value))
        case QuestionType.DATE:
            return fmt_date(as_date(value), language, "medium")
        case QuestionType.TIME:
            return fmt_time(as_time(value), language)
        case QuestionType.COUNTRY:
            return country_name(value, language)
        case QuestionType.NUMBER:
            return fmt_number(value, language)
    return escape(str(value))


def field_text(question: Question, answers: Mapping[str, Any], event: Event, language: str) -> str:
    """A review item: a question's answer, or a group's answers on one line."""
    steps = event.form.steps_of(question.id)
    if question.type is not QuestionType.GROUP:
        return value_text(steps[0], answers, event, language)
    if answers.get(steps[0].key) is None:
        return _skipped_text(question, event, language)
    parts = [
        value_text(step, answers, event, language) for step in steps if answers.get(step.key) is not None
    ]
    return ", ".join(parts)


def field_values(answers: Mapping[str, Any], event: Event, language: str) -> dict[str, str]:
    """Every item that applies to these answers (no passport line without a visa letter), as
    display text: the language first, then the form's."""
    form = event.form
    values = {LANGUAGE_FIELD: language_name(answers.get(LANGUAGE_FIELD) or language)}
    for question in form.questions:
        steps = form.steps_of(question.id)
        if not any(form.applies(step, answers) for step in steps):
            continue
        if any(form.missing(step, answers) for step in steps):
            values[question.id] = _(MISSING)
        else:
            values[question.id] = field_text(question, answers, event, language)
    return values


def field_labels(event: Event, language: str) -> dict[str, str]:
    """Each item's label: the language's, then the form's questions."""
    labels = {LANGUAGE_FIELD: _(LANGUAGE_LABEL)}
    labels.update(
        {question.id: question_label(question, event, language) for question in event.form.questions}
    )
    return labels


def render_answers(
    answers: Mapping[str, Any], event: Event, language: str, fields: Iterable[str] | None = None
) -> str:
    """A line per item (all that apply, or the `fields` given)."""
    return answer_lines(field_values(answers, event, language), field_labels(event, language), fields)


def answer_lines(
    values: Mapping[str, str], labels: Mapping[str, str], fields: Iterable[str] | None = None
) -> str:
    """The lines of items already drawn (`field_values`) with their labels (`field_labels`)."""
    # The label and its colon are one message: French writes "Pays :", Chinese "国家：".
    return "\n".join(
        _("<b>{label}:</b> {value}").format(label=labels[field], value=values[field])
        for field in (values if fields is None else fields)
        if field in values
    )
