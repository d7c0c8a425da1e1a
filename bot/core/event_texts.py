"""The event's programme and logistics as a delegate reads them (HTML, in one language).

Used by /programme, /venue, /info and /faq, and for answers to questions typed in the chat.
Event-file texts come in the requested language, else English; the bot's own words come from the
catalog of the current locale. Every text from the event file is HTML-escaped here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from html import escape

from babel.dates import format_interval

from bot.core.event import Answerable, Event, FaqEntry, Notice, Place, Session, Topic, localized
from bot.core.i18n import (
    FSI,
    N_,
    PDI,
    RLM,
    babel_locale,
    fmt_date,
    fmt_datetime,
    fmt_time,
    in_zone,
    is_right_to_left,
    zone_name,
)
from bot.core.i18n import gettext as _

PLACEHOLDER_NOTE = N_("ℹ️ Not final yet: the organisers will confirm this.")


def _placeholder_note(placeholder: bool) -> str:
    return "\n\n<i>" + _(PLACEHOLDER_NOTE) + "</i>" if placeholder else ""


def event_dates(event: Event, language: str) -> str:
    return format_interval(event.starts_on, event.ends_on, "yMMMMd", locale=babel_locale(language))


def dates_text(event: Event, language: str) -> str:
    return _("📅 <b>{event}</b> takes place in {city} on {dates}.").format(
        event=escape(localized(event.name, language)),
        city=escape(localized(event.city, language)),
        dates=escape(event_dates(event, language)),
    )


def deadline_text(event: Event, language: str, now: datetime) -> str:
    # The date as the event file gives it (the letter says 15 May, in the organisers' time zone).
    deadline = fmt_date(event.registration_deadline.date(), language, "long")
    if now <= event.registration_deadline:
        text = _("⏳ Please register by <b>{deadline}</b>: send /start to register in this chat.")
    elif event.allow_late_registration:
        text = _(
            "⏳ Registration closed on {deadline}. You can still register with /start: the organisers "
            "will confirm late registrations."
        )
    else:
        text = _("⏳ Registration closed on {deadline}. Please write to {email} if you still want to come.")
    return text.format(deadline=deadline, email=escape(event.contact_email))


def place_text(place: Place | None, language: str, heading: str) -> str:
    if place is None:
        return heading + "\n" + _("Not announced yet.")
    lines = [heading, f"<b>{escape(localized(place.name, language))}</b>"]
    if place.address:
        lines.append(escape(localized(place.address, language)))
    if place.details:
        lines.append("\n" + escape(localized(place.details, language)))
    return "\n".join(lines) + _placeholder_note(place.placeholder)


def venue_text(event: Event, language: str) -> str:
    return place_text(event.venue, language, _("📍 <b>Venue</b>")) + "\n\n" + dates_text(event, language)


def notice_text(notice: Notice | None, language: str, heading: str) -> str:
    if notice is None:
        return heading + "\n" + _("Not announced yet.")
    return heading + "\n" + escape(localized(notice.text, language)) + _placeholder_note(notice.placeholder)


def documents_text(event: Event, language: str) -> str:
    lines = [_("📄 <b>Documents</b>")]
    for document in event.documents:
        title = escape(localized(document.title, language))
        if document.url:
            lines.append(f'• <a href="{escape(document.url, quote=True)}">{title}</a>')
        elif document.file:
            lines.append("• " + _("{title}: tap its button below to get the file.").format(title=title))
        elif event.in_programme(document):
            lines.append("• " + _("{title}: send /programme to browse it.").format(title=title))
        else:
            lines.append("• " + _("{title}: not published yet.").format(title=title))
    if not event.documents:
        lines.append(_("Not announced yet."))
    return "\n".join(lines)


def contacts_text(event: Event, language: str) -> str:
    lines = [
        _("✉️ <b>Contact</b>"),
        _("Write to {email}, or ask your question here in the chat.").format(
            email=escape(event.contact_email)
        ),
    ]
    for contact in event.contacts:
        line = f"\n<b>{escape(contact.name)}</b>"
        if contact.role:
            line += f"\n{escape(localized(contact.role, language))}"
        for value in (contact.email, contact.phone, contact.telegram):
            if value:
                line += f"\n{escape(value)}"
        lines.append(line)
    return "\n".join(lines)


def session_line(session: Session, language: str) -> str:
    times, title = _times(session, language), escape(localized(session.title, language))
    if is_right_to_left(language):
        # The line starts with Latin digits: without the marks it would be laid out left to right.
        return f"{RLM}{FSI}{times}{PDI} {title}"
    return f"{times} {title}"


def _times(session: Session, language: str) -> str:
    return f"{fmt_time(session.starts_at, language)}–{fmt_time(session.ends_at, language)}"


def provisional_note(event: Event) -> str:
    if not event.programme.provisional:
        return ""
    return "<i>" + _("⚠️ Provisional programme: times and speakers may change.") + "</i>\n\n"


def day_heading(day: date, language: str) -> str:
    return "<b>" + escape(fmt_date(day, language, "full")) + "</b>"


def programme_text(event: Event, language: str) -> str:
    """Every day with its sessions, for a free-text answer."""
    parts = [_("🗓 <b>Programme</b>"), provisional_note(event).rstrip()]
    for day in event.programme.days:
        lines = [day_heading(day.date, language)]
        lines += [session_line(session, language) for session in day.sessions]
        parts.append("\n".join(lines))
    if not event.programme.days:
        parts.append(_("The programme is not published yet."))
    parts.append(_("Send /programme to browse it."))
    return "\n\n".join(part for part in parts if part)


PROGRAMME_PARTS = ("day", "morning", "afternoon")
_NOON = time(12, 0)


def programme_part_text(event: Event, day: date, part: str, language: str) -> str | None:
    """The sessions of one day, or of its morning or afternoon (by their start); None if the
    programme has no such day."""
    found = next((programme_day for programme_day in event.programme.days if programme_day.date == day), None)
    if found is None:
        return None
    sessions = [
        session
        for session in found.sessions
        if part == "day" or (session.starts_at < _NOON) == (part == "morning")
    ]
    heading = {"morning": _("morning"), "afternoon": _("afternoon")}.get(part)
    lines = ["🗓 " + day_heading(day, language) + (f" · <b>{escape(heading)}</b>" if heading else "")]
    lines += [session_line(session, language) for session in sessions]
    if not sessions:
        lines.append(_("No session at that time."))
    return provisional_note(event) + "\n".join(lines) + "\n\n" + _("Send /programme to browse it.")


def session_text(event: Event, day: date, session: Session, language: str) -> str:
    lines = [
        provisional_note(event) + f"<b>{escape(localized(session.title, language))}</b>",
        f"🕘 {escape(fmt_date(day, language, 'full'))}, {_times(session, language)} "
        + _("(local time, {zone})").format(zone=escape(zone_name(event.tz, language))),
    ]
    if session.room:
        lines.append("🚪 " + escape(localized(session.room, language)))
    speakers = ", ".join(escape(name) for name in session.speakers) or _("to be announced")
    lines.append("🎤 " + _("Speakers: {speakers}").format(speakers=speakers))
    if session.description:
        lines.append("\n" + escape(localized(session.description, language)))
    return "\n".join(lines) + _placeholder_note(session.placeholder)


def now_and_next(
    event: Event, now: datetime
) -> tuple[list[tuple[date, Session]], tuple[date, Session] | None]:
    """Sessions under way at `now`, and the next one to start."""
    tz = event.tz
    current, upcoming = [], None
    for day, session in event.programme.sessions():
        starts = datetime.combine(day, session.starts_at, tz)
        ends = datetime.combine(day, session.ends_at, tz)
        if starts <= now < ends:
            current.append((day, session))
        elif starts > now and (
            upcoming is None or starts < datetime.combine(upcoming[0], upcoming[1].starts_at, tz)
        ):
            upcoming = (day, session)
    return current, upcoming


def event_running(event: Event, now: datetime) -> bool:
    return event.starts_on <= now.astimezone(event.tz).date() <= event.ends_on


def topic_text(event: Event, topic: Topic, language: str, now: datetime) -> str:
    match topic:
        case Topic.DATES:
            return dates_text(event, language)
        case Topic.VENUE:
            return venue_text(event, language)
        case Topic.DEADLINE:
            return deadline_text(event, language, now)
        case Topic.HOTEL:
            return place_text(event.hotel, language, _("🏨 <b>Hotel</b>"))
        case Topic.AIRPORT_TRANSFER:
            return notice_text(event.airport_transfer, language, _("🚐 <b>Airport transfer</b>"))
        case Topic.VISA:
            return notice_text(event.visa, language, _("🛂 <b>Visa</b>"))
        case Topic.DOCUMENTS:
            return documents_text(event, language)
        case Topic.CONTACTS:
            return contacts_text(event, language)
        case Topic.PROGRAMME:
            return programme_text(event, language)


def faq_answer(event: Event, entry: FaqEntry, language: str, now: datetime) -> str:
    if entry.topic is not None:
        return topic_text(event, entry.topic, language, now)
    values = {
        "dates": event_dates(event, language),
        "city": localized(event.city, language),
        "deadline": fmt_date(event.registration_deadline.date(), language, "long"),
        "changes_deadline": fmt_date(event.changes_deadline.date(), language, "long"),
        "email": event.contact_email,
    }
    text = localized(entry.answer, language).format_map(values)
    return escape(text, quote=False) + _placeholder_note(entry.placeholder)


def answer_text(event: Event, answer: Answerable, language: str, now: datetime) -> str | None:
    """The answer to a recognised question; None if the event file no longer has it."""
    if answer.kind == "faq":
        entry = event.faq_entry(answer.id)
        return faq_answer(event, entry, language, now) if entry else None
    if answer.kind in PROGRAMME_PARTS:
        return programme_part_text(event, date.fromisoformat(answer.id), answer.kind, language)
    found = event.programme.session(answer.id) if answer.kind == "session" else None
    return session_text(event, found[0], found[1], language) if found else None


def sent_at_text(moment: datetime, event: Event, language: str) -> str:
    """When a question was sent: delegates abroad read it, so the event's zone is named."""
    return in_zone(fmt_datetime(moment, language, event.tz, "medium"), event.tz, language)
