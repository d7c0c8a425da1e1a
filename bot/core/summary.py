"""A registration's answers as the delegate reads them (review screen, confirmation, /me)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from html import escape
from typing import Any

from bot.core.event import Event, localized
from bot.core.i18n import N_, country_name, fmt_date, fmt_time, language_name
from bot.core.i18n import gettext as _
from bot.core.labels import GENDERS, label, yes_no

# Field of the answers -> its label on the review screen; the order is the dialogue's.
FIELD_LABELS = {
    "language": N_("Language"),
    "full_name": N_("Full name"),
    "gender": N_("Gender"),
    "country": N_("Country"),
    "organisation": N_("Party or organisation"),
    "position": N_("Position"),
    "role": N_("Participation"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "arrival": N_("Arrival"),
    "departure": N_("Departure"),
    "hotel_needed": N_("Hotel"),
    "visa_needed": N_("Visa letter"),
    "dietary": N_("Dietary needs"),
    "accessibility": N_("Accessibility"),
}


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _as_time(value: Any) -> time | None:
    return time.fromisoformat(value) if isinstance(value, str) else value


def travel_line(answers: dict[str, Any], prefix: str, language: str) -> str:
    day = _as_date(answers.get(f"{prefix}_date"))
    if day is None:
        return _("no airport transfer needed")
    parts = [fmt_date(day, language, "medium")]
    moment = _as_time(answers.get(f"{prefix}_time"))
    if moment is not None:
        parts.append(fmt_time(moment, language))
    if answers.get(f"{prefix}_flight"):
        parts.append(escape(answers[f"{prefix}_flight"]))
    return ", ".join(parts)


def dietary_line(answers: dict[str, Any], event: Event, language: str) -> str:
    chosen = [option for option in (answers.get("dietary") or "").split(",") if option]
    labels = [localized(event.dietary(option).label, language) for option in chosen if event.dietary(option)]
    if answers.get("dietary_notes"):
        labels.append(escape(answers["dietary_notes"]))
    return ", ".join(labels) or _("no dietary needs")


def field_values(answers: dict[str, Any], event: Event, language: str) -> dict[str, str]:
    """Every review field as display text (HTML-escaped where the delegate typed it)."""
    role = event.role(answers.get("role", ""))
    visa = yes_no(bool(answers.get("visa_needed")))
    if answers.get("visa_needed") and answers.get("nationality"):
        nationality = country_name(answers["nationality"], language)
        visa += f" ({nationality}, {escape(answers.get('passport_number') or '')})"
    return {
        "language": language_name(answers.get("language", language)),
        "full_name": escape(answers.get("full_name", "")),
        "gender": label(GENDERS, answers.get("gender")),
        "country": country_name(answers["country"], language) if answers.get("country") else "",
        "organisation": escape(answers.get("organisation", "")),
        "position": escape(answers.get("position", "")),
        "role": localized(role.label, language) if role else "",
        "email": escape(answers.get("email", "")),
        "phone": escape(answers.get("phone", "")),
        "arrival": travel_line(answers, "arrival", language),
        "departure": travel_line(answers, "departure", language),
        "hotel_needed": yes_no(bool(answers.get("hotel_needed"))),
        "visa_needed": visa,
        "dietary": dietary_line(answers, event, language),
        "accessibility": escape(answers.get("accessibility") or "") or _("no accessibility needs"),
    }


def render_answers(
    answers: dict[str, Any], event: Event, language: str, fields: Iterable[str] = FIELD_LABELS
) -> str:
    """A line per review field (all of them, or the `fields` given)."""
    values = field_values(answers, event, language)
    # The label and its colon are one message: French writes "Pays :", Chinese "国家：".
    return "\n".join(
        _("<b>{label}:</b> {value}").format(label=_(FIELD_LABELS[field]), value=values[field])
        for field in fields
    )
