"""What staff read: the headcount (text pages and chart panels), a delegate's card, delegations.

Everything is HTML; values typed by delegates are escaped here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from html import escape

from bot.core.answers import answers_of
from bot.core.event import Event, localized
from bot.core.form import COLUMN_KEYS, QuestionType
from bot.core.i18n import (
    N_,
    country_name,
    fmt_date,
    fmt_datetime,
    fmt_number,
    fmt_time,
    get_i18n,
    in_zone,
    language_name,
    ngettext,
)
from bot.core.i18n import gettext as _
from bot.core.labels import GENDERS, SEPARATOR, STATUS_ORDER, STATUSES, flag, label, yes_no
from bot.core.models import Delegation, Registration
from bot.core.summary import render_answers, step_label
from bot.delegations.texts import delegation_name
from bot.kit.charts import Panel
from bot.staff.headcount_service import Headcount

# Telegram takes 4096 characters per message; the margin covers what the HTML tags turn into.
MESSAGE_LIMIT = 3800
TOP = 12  # longest lists (countries, delegations) show this many, then "N more"


def day_label(day: date, language: str) -> str:
    return fmt_date(day, language, "MMMEd")


def moment_label(moment: datetime, event: Event, language: str) -> str:
    """A moment in the event's time zone (the zone is said where the message starts)."""
    return fmt_datetime(moment, language, event.tz, "MMMd")


def staff_link(user_id: int, name: str, viewer_id: int) -> str:
    """A person as a tappable mention (their profile opens in Telegram): "you" for the reader."""
    label = _("you") if user_id == viewer_id else escape(name)
    return f'<a href="tg://user?id={user_id}">{label}</a>'


# --- a delegate's card ------------------------------------------------------------------------


def delegate_card(
    registration: Registration,
    delegation: Delegation | None,
    event: Event,
    language: str,
    checked_in_by: str | None = None,
) -> str:
    """Who they are and what they need; `checked_in_by` is the staff link when checked in."""
    r = registration
    form = event.form
    role = event.role(r.role or "")
    lines = [
        f"👤 <b>{escape(r.full_name or '')}</b>{SEPARATOR}<code>{escape(r.code or '')}</code>",
        _("Status: {status}").format(status=escape(label(STATUSES, r.status)))
        + (" " + _("(waiting for a balanced delegation)") if r.held_for_balance else ""),
    ]
    origin = [
        f"{flag(r.country)} {escape(country_name(r.country, language))}" if r.country else "",
        escape(r.organisation or ""),
    ]
    if any(origin):
        lines.append(SEPARATOR.join(part for part in origin if part))
    if delegation is not None:
        head = " 👑" if r.delegation_head else ""
        lines.append(_("Delegation: {name}").format(name=delegation_name(delegation, language)) + head)
    if role is not None:
        lines.append(_("Participation: {role}").format(role=localized(role.label, language)))
    contact = [f"✉️ {escape(r.email)}" if r.email else "", f"📞 {escape(r.phone)}" if r.phone else ""]
    if any(contact):
        lines.append(SEPARATOR.join(part for part in contact if part))
    if form.has("dietary"):
        lines.append("🍽 " + _dietary(r, event, language))
    if form.has("accessibility"):
        lines.append("♿ " + (escape(r.accessibility) if r.accessibility else _("no accessibility needs")))
    if form.has("hotel_needed"):
        lines.append("🏨 " + _hotel(r, language))
    if r.arrival_date:
        lines.append("🛬 " + _travel(r.arrival_date, r.arrival_time, r.arrival_flight, language))
    if r.departure_date:
        lines.append("🛫 " + _travel(r.departure_date, r.departure_time, r.departure_flight, language))
    if r.visa_needed:
        lines.append("🛂 " + _("Visa letter requested"))
    # The form's own questions (a workshop, a T-shirt size), as the review reads them; sensitive
    # ones are not on a card.
    custom = [
        question.id
        for question in form.questions
        if all(step.key not in COLUMN_KEYS and not step.sensitive for step in form.steps_of(question.id))
    ]
    if custom:
        # All the answers: a question of its own may be asked by a built-in one (`visa_needed`).
        lines.append(render_answers(answers_of(r), event, language, custom))
    if r.checked_in_at is not None:
        lines.append(
            "🎫 "
            + _("Checked in {when} by {who}").format(
                when=moment_label(r.checked_in_at, event, language), who=checked_in_by or "?"
            )
        )
    return "\n".join(lines)


def _hotel(registration: Registration, language: str) -> str:
    """The nights booked: from the check-in day (or the arrival's) to the check-out day (or the
    departure's)."""
    arrival = registration.hotel_check_in or registration.arrival_date
    departure = registration.hotel_check_out or registration.departure_date
    if not registration.hotel_needed:
        return _("Hotel: no")
    if arrival is None or departure is None:
        return _("Hotel: yes, dates not given yet")
    nights = (departure - arrival).days
    return ngettext(
        "Hotel: {arrival} → {departure} ({count} night)",
        "Hotel: {arrival} → {departure} ({count} nights)",
        nights,
    ).format(
        arrival=day_label(arrival, language),
        departure=day_label(departure, language),
        count=fmt_number(nights, language),
    )


def _travel(day: date, at: time | None, flight: str | None, language: str) -> str:
    """An arrival or a departure: the day, the time (event-local), the flight."""
    parts = [day_label(day, language)]
    if at is not None:
        parts.append(fmt_time(at, language))
    if flight:
        parts.append(escape(flight))
    return " ".join(parts)


def _dietary(registration: Registration, event: Event, language: str) -> str:
    chosen = [option for option in (registration.dietary or "").split(",") if option]
    labels = [localized(event.dietary(option).label, language) for option in chosen if event.dietary(option)]
    if registration.dietary_notes:
        labels.append(escape(registration.dietary_notes))
    return ", ".join(labels) or _("no dietary needs")


# --- headcount --------------------------------------------------------------------------------


def _number(count: int) -> str:
    return fmt_number(count, get_i18n().current_locale)


def _counts(items: list[tuple[str, int]], limit: int | None = None) -> str:
    """`label count · label count`, labels escaped (they are plain text: chart labels too)."""
    shown = items[:limit] if limit else items
    text = SEPARATOR.join(f"{escape(label)} <b>{_number(count)}</b>" for label, count in shown)
    hidden = items[len(shown) :]
    if hidden:
        text += SEPARATOR + ngettext("{count} more: {people}", "{count} more: {people}", len(hidden)).format(
            count=_number(len(hidden)), people=_number(sum(count for _label, count in hidden))
        )
    return text or "–"


def _section(title: str, body: str) -> str:
    return f"<b>{title}</b>\n{body}"


def gender_items(headcount: Headcount) -> list[tuple[str, int]]:
    return [(label(GENDERS, g), n) for g, n in headcount.genders]


def country_items(headcount: Headcount, language: str) -> list[tuple[str, int]]:
    return [(country_name(code, language), count) for code, count in headcount.countries]


def role_items(headcount: Headcount, event: Event, language: str) -> list[tuple[str, int]]:
    labels = {role.id: localized(role.label, language) for role in event.roles}
    return [(labels.get(role, role), count) for role, count in headcount.roles]


def language_items(headcount: Headcount, language: str) -> list[tuple[str, int]]:
    return [(language_name(code, language), count) for code, count in headcount.languages]


def _transfers(rows: list[tuple[date, int, int]], language: str) -> str:
    days: dict[date, list[str]] = {}
    for day, hour, count in rows:
        at = _("time not known") if hour < 0 else fmt_time(time(hour, 0), language)
        days.setdefault(day, []).append(f"{at} <b>{_number(count)}</b>")
    return (
        "\n".join(
            f"{day_label(day, language)} ({_number(sum(c for d, _h, c in rows if d == day))}): "
            + SEPARATOR.join(hours)
            for day, hours in days.items()
        )
        or "–"
    )


def headcount_sections(headcount: Headcount, event: Event, language: str, now: datetime) -> list[str]:
    h = headcount
    statuses = [(label(STATUSES, status), h.statuses.get(status, 0)) for status in STATUS_ORDER]
    statuses += [
        (label(STATUSES, s), count) for s, count in sorted(h.statuses.items()) if s not in STATUS_ORDER
    ]
    share = f" ({_number(round(100 * h.checked_in / h.active))}%)" if h.active else ""
    delegations = [
        (f"{flag(country)} {party}" if party is not None else _("no delegation"), count)
        for party, country, count in h.delegations
    ]
    diets = {option.id: localized(option.label, language) for option in event.dietary_options}
    dietary = [(diets.get(option, option), count) for option, count in h.dietary]
    if h.dietary_notes:
        dietary.append((_("other needs typed"), h.dietary_notes))
    hotel = _("Guests: {guests}").format(guests=_number(h.hotel_guests))
    if h.hotel_nights:
        hotel += "\n" + _counts([(day_label(day, language), n) for day, n in h.hotel_nights])
    if h.hotel_dates_unknown:
        hotel += "\n" + _(
            "without dates yet (counted from the day before to the day after the event): {count}"
        ).format(count=_number(h.hotel_dates_unknown))
    form = event.form
    sections = [
        _("📊 <b>Headcount</b>, {when}").format(
            when=in_zone(moment_label(now, event, language), event.tz, language)
        ),
        _section(
            _("Registrations"),
            _counts(statuses)
            + "\n"
            + _("🎫 Checked in: <b>{checked_in}</b> of {active}{share}").format(
                checked_in=_number(h.checked_in), active=_number(h.active), share=share
            ),
        ),
    ]
    # The built-in breakdowns of the questions this event's form asks.
    if form.has("gender"):
        sections.append(_section(_("Gender"), _counts(gender_items(h))))
    if form.has("country"):
        sections.append(
            _section(
                _("Countries ({count})").format(count=_number(len(h.countries))),
                _counts(country_items(h, language), TOP),
            )
        )
    sections.append(
        _section(
            _("Delegations ({count})").format(
                count=_number(sum(1 for party, _c, _n in h.delegations if party is not None))
            ),
            _counts(delegations, TOP),
        )
    )
    if form.has("role"):
        sections.append(_section(_("Participation"), _counts(role_items(h, event, language))))
    sections.append(_section(_("Languages"), _counts(language_items(h, language))))
    if form.has("hotel_needed"):
        sections.append(_section("🏨 " + _("Hotel nights"), hotel))
    if form.has("arrival_date"):
        sections.append(_section("🛬 " + _("Airport pick-ups"), _transfers(h.pickups, language)))
    if form.has("departure_date"):
        sections.append(_section("🛫 " + _("Airport drop-offs"), _transfers(h.dropoffs, language)))
    sections += [_section(label, _counts(items)) for label, items in answer_items(h, event, language)]
    needs = []
    if form.has("visa_needed"):
        needs.append("🛂 " + _("Visa letters: <b>{count}</b>").format(count=_number(h.visa_letters)))
    if form.has("dietary"):
        needs.append("🍽 " + _("Dietary needs: {needs}").format(needs=_counts(dietary)))
    if form.has("accessibility"):
        needs.append("♿ " + _("Accessibility needs: <b>{count}</b>").format(count=_number(h.accessibility)))
    if needs:
        sections.append("\n".join(needs))
    return sections


def answer_items(
    headcount: Headcount, event: Event, language: str
) -> list[tuple[str, list[tuple[str, int]]]]:
    """The form's own counted questions: (its label, (answer as read, people))."""
    items = []
    for key, counts in headcount.answers.items():
        step = event.form.step(key)
        if step is None:
            continue
        question = step.question
        if question.type is QuestionType.YES_NO:
            names = {"yes": yes_no(True), "no": yes_no(False)}
        elif question.type is QuestionType.COUNTRY:
            names = {code: country_name(code, language) for code, _n in counts}
        elif question.type is QuestionType.DATE:  # by day, ISO dates as stored
            names = {day: day_label(date.fromisoformat(day), language) for day, _n in counts}
        else:
            names = {option.id: localized(option.label, language) for option in question.options}
        items.append(
            (step_label(step, event, language), [(names.get(value, value), n) for value, n in counts])
        )
    return items


def pack(sections: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Sections joined into as few messages as fit; a section longer than a message is cut at lines."""
    messages: list[str] = []
    current = ""
    for section in sections:
        for piece in _split(section, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > limit:
                messages.append(current)
                candidate = piece
            current = candidate
    if current:
        messages.append(current)
    return messages


def _split(section: str, limit: int) -> list[str]:
    if len(section) <= limit:
        return [section]
    pieces, current = [], ""
    for line in section.split("\n"):
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    return [*pieces, current] if current else pieces


def headcount_panels(headcount: Headcount, event: Event, language: str) -> list[Panel]:
    h = headcount
    statuses = [(label(STATUSES, s), h.statuses.get(s, 0)) for s in STATUS_ORDER]
    statuses.insert(2, (_("checked in"), h.checked_in))
    return [
        Panel(_("Registrations"), statuses, highlight=frozenset({_("checked in")})),
        Panel(_("Gender"), gender_items(h)),
        Panel(_("Countries"), country_items(h, language)),
        Panel(_("Participation"), role_items(h, event, language)),
        Panel(_("Languages"), language_items(h, language)),
        Panel(
            _("Arrivals per day"),
            [
                (day_label(day, language), sum(n for d, _h, n in h.pickups if d == day))
                for day in sorted({d for d, _h, _n in h.pickups})
            ],
        ),
        Panel(_("Hotel nights"), [(day_label(day, language), guests) for day, guests in h.hotel_nights]),
    ]


CHART_SUBTITLE = N_("Headcount, {when}")


def chart_titles(event: Event, language: str, now: datetime) -> tuple[str, str]:
    """The chart's title, the event's name, and its subtitle: when the count was made, in the
    event's time zone (a chart is forwarded and kept: it says which event and when)."""
    when = in_zone(moment_label(now, event, language), event.tz, language)
    return localized(event.name, language), _(CHART_SUBTITLE).format(when=when)
