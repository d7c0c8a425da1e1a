"""Reminders to people who started registering and never confirmed, before the deadline.

Each reminder of the event file (`reminders.days_before_deadline`) becomes one outbox job for
the "unfinished registrations" audience, created once per event (a unique key, so several
processes agree), with the text rendered in every language: each person gets theirs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from bot.broadcasts.service import BroadcastService
from bot.core.event import Event, localized
from bot.core.i18n import DEFAULT_LANGUAGE, N_, fmt_date, get_i18n, gettext, supported_languages

REMINDER_TEXT = N_(
    "⏰ You started registering for <b>{event_name}</b> but have not confirmed yet. "
    "Registration closes on {deadline}.\n\nSend /start to continue where you left off."
)


def reminder_times(event: Event) -> dict[int, datetime]:
    """Days before the deadline -> when that reminder is sent (event time zone)."""
    deadline_day = event.registration_deadline.date()
    return {
        days: datetime.combine(deadline_day - timedelta(days=days), event.reminders.at, tzinfo=event.tz)
        for days in event.reminders.days_before_deadline
    }


def due_reminder(event: Event, now: datetime, created: set[int]) -> int | None:
    """The reminder to create now, if any.

    Only the one closest to the deadline among those due: after a long downtime, delegates get
    one reminder, not two in a row.
    """
    due = [days for days, at in reminder_times(event).items() if at <= now < event.registration_deadline]
    if not due or min(due) in created:
        return None
    return min(due)


def reminder_texts(event: Event) -> dict[str, str]:
    """The reminder in every language (HTML)."""
    texts = {}
    for language in supported_languages():
        with get_i18n().use_locale(language):
            texts[language] = gettext(REMINDER_TEXT).format(
                event_name=escape(localized(event.name, language)),
                deadline=fmt_date(event.registration_deadline.date(), language, "long"),
            )
    return texts


class ReminderService:
    def __init__(self, broadcasts: BroadcastService, event: Event):
        self._broadcasts = broadcasts
        self.event = event

    async def schedule_due(self, now: datetime) -> int | None:
        """Create the reminder job that is due at `now`; its days, or None."""
        if not self.event.reminders.days_before_deadline:
            return None
        days = due_reminder(self.event, now, await self._broadcasts.reminder_days_created())
        if days is None:
            return None
        texts = reminder_texts(self.event)
        created = await self._broadcasts.create_reminder(
            days, send_at=now, text=texts[DEFAULT_LANGUAGE], variants=texts
        )
        return days if created else None
