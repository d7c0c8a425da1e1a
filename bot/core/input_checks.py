"""Checking and normalising what a delegate types. Each parser returns the clean value or raises
`InvalidAnswer` with a message id (translated where it is shown) and its format arguments."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.core.i18n import N_


class InvalidAnswer(ValueError):
    def __init__(self, msgid: str, **values: object):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


NAME_MAX = 120
TEXT_MAX = 200
NOTE_MAX = 500


def clean_text(text: str) -> str:
    """Collapse white space and drop control and invisible format characters."""
    kept = "".join(char if unicodedata.category(char) not in ("Cc", "Cf") else " " for char in text)
    return " ".join(kept.split())


def parse_name(text: str) -> str:
    name = clean_text(text)
    if len(name) > NAME_MAX:
        raise InvalidAnswer(N_("That is too long for a name ({limit} characters at most)."), limit=NAME_MAX)
    letters = sum(char.isalpha() for char in name)
    if letters < 2 or name.startswith("/") or any(char.isdigit() for char in name):
        raise InvalidAnswer(N_("Please type your full name in letters, as written in your passport."))
    return name


def parse_free_text(text: str, limit: int = TEXT_MAX) -> str:
    value = clean_text(text)
    if not value or value.startswith("/"):
        raise InvalidAnswer(N_("Please type your answer as text (not starting with /)."))
    if len(value) > limit:
        raise InvalidAnswer(N_("Please use at most {limit} characters."), limit=limit)
    return value


def parse_email(text: str) -> str:
    try:
        # Deliverability would need DNS, which a delegate's typo check does not.
        result = validate_email(clean_text(text), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAnswer(N_("That does not look like an email address. Example: name@party.org")) from None
    return result.normalized


def parse_phone(text: str, country: str | None) -> str:
    """E.164 (+63917…); a number without a country code is read in the delegate's country."""
    raw = clean_text(text)
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidAnswer(
            N_(
                "That does not look like a phone number. Please include the country code, e.g. +63 917 123 4567."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[./-](?P<m>\d{1,2})(?:[./-](?P<y>\d{2}|\d{4}))?$"),
)


def parse_date(text: str, earliest: date, latest: date) -> date:
    """Day first (29/07, 29.07.2024) or ISO (2024-07-29), within [earliest, latest]."""
    value = clean_text(text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = match["y"] or str(earliest.year)
        year = int(year) + 2000 if len(year) == 2 else int(year)
        try:
            day = date(year, int(match["m"]), int(match["d"]))
        except ValueError:
            break
        if not earliest <= day <= latest:
            raise InvalidAnswer(
                N_("Please give a date between {earliest} and {latest}."),
                earliest=earliest,
                latest=latest,
            )
        return day
    raise InvalidAnswer(N_("Please type the date as day/month, for example {example}."), example="29/07")


_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:h.]?(?P<m>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?$", re.I)


def parse_time(text: str) -> time:
    match = _TIME.match(clean_text(text))
    if match:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        ampm = (match["ampm"] or "").lower().replace(".", "")
        if ampm and 1 <= hour <= 12:
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour < 24 and minute < 60 and (match["m"] or ampm):
            return time(hour, minute)
    raise InvalidAnswer(N_("Please type the time as hours:minutes, for example 14:35."))


_FLIGHT = re.compile(r"^([A-Z0-9]{2}|[A-Z]{3})\s*-?\s*(\d{1,4}[A-Z]?)$")


def parse_flight(text: str) -> str:
    match = _FLIGHT.match(clean_text(text).upper())
    if not match or match[1].isdigit():
        raise InvalidAnswer(N_("Please type the flight number, for example PR 431."))
    return f"{match[1]} {match[2]}"


_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def parse_passport(text: str) -> str:
    value = re.sub(r"[\s-]", "", clean_text(text)).upper()
    if not _PASSPORT.match(value):
        raise InvalidAnswer(
            N_("A passport number has 5 to 20 letters and digits. Please check and type it again.")
        )
    return value


def travel_window(starts_on: date, ends_on: date) -> tuple[date, date]:
    """Dates a delegate may plausibly travel on for this event."""
    return starts_on - timedelta(days=30), ends_on + timedelta(days=30)
