"""Headcounts for the organisers: aggregate queries (GROUP BY) that read the same on every database.

Counts are of active registrations (registered or pending) unless said otherwise; check-ins are
read live from the registrations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum

from sqlalchemy import Date, Integer, String, Time, case, cast, func, literal, null, union_all
from sqlmodel import col, select

from bot.db import SessionFactory
from bot.event import Event
from bot.services.delegations import ACTIVE_STATUSES
from models import Delegation, Registration


class _Part(IntEnum):
    """Which count a row of the headcount statement belongs to."""

    BREAKDOWN = 1
    CHECKED_IN = 2
    DIETARY_NOTES = 3
    ACCESSIBILITY = 4
    COUNTRIES = 5  # with the delegations and dietary needs
    DELEGATION_NAMES = 6
    STAYS = 7
    PICKUPS = 8
    DROPOFFS = 9


# The columns of every arm of the statement, after `part`.
_COLUMNS = (
    ("first", String),
    ("second", String),
    ("third", String),
    ("fourth", String),
    ("key", Integer),
    ("day", Date),
    ("other_day", Date),
    ("moment", Time),
    ("count", Integer),
    ("hotel", Integer),
    ("visa", Integer),
)


def _count_if(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Headcount:
    statuses: dict[str, int] = field(default_factory=dict)  # every status, withdrawn included
    active: int = 0
    checked_in: int = 0
    genders: list[tuple[str, int]] = field(default_factory=list)
    countries: list[tuple[str, int]] = field(default_factory=list)
    # (party, country, members); party None: not in a delegation.
    delegations: list[tuple[str | None, str | None, int]] = field(default_factory=list)
    roles: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    hotel_guests: int = 0
    # Guests in the hotel each night (the night that starts on the date).
    hotel_nights: list[tuple[date, int]] = field(default_factory=list)
    hotel_dates_unknown: int = 0  # guests without an arrival or departure date yet
    # (day, hour, people) of airport pick-ups (arrivals) and drop-offs (departures).
    pickups: list[tuple[date, int, int]] = field(default_factory=list)
    dropoffs: list[tuple[date, int, int]] = field(default_factory=list)
    visa_letters: int = 0
    dietary: list[tuple[str, int]] = field(default_factory=list)  # event option id -> people
    dietary_notes: int = 0
    accessibility: int = 0


def _ranked(rows) -> list[tuple[str, int]]:
    """(key, count) rows, largest first, then by key; None keys dropped."""
    return sorted(((key, count) for key, count in rows if key is not None), key=lambda r: (-r[1], r[0]))


class HeadcountService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    async def count(self) -> Headcount:
        """One statement: a UNION ALL of grouped queries (`_statement`), each answered from its
        covering index (see models/registration.py); finer buckets (the hour) are made here."""
        statuses: Counter[str] = Counter()
        genders: Counter[str] = Counter()
        roles: Counter[str] = Counter()
        languages: Counter[str] = Counter()
        countries: Counter[str] = Counter()
        members: Counter[int | None] = Counter()
        diets: Counter[str] = Counter()
        stays: list[tuple[date | None, date | None, int]] = []
        transfers: dict[_Part, Counter[tuple[date, int]]] = {
            _Part.PICKUPS: Counter(),
            _Part.DROPOFFS: Counter(),
        }
        names: dict[int, tuple[str, str]] = {}
        headcount = Headcount()
        async with self._sessions() as session:
            rows = (await session.exec(self._statement())).all()
        for part, first, second, third, fourth, key, day, other_day, moment, count, hotel, visa in rows:
            if part == _Part.BREAKDOWN:
                statuses[first] += count
                if first in ACTIVE_STATUSES:
                    genders[second] += count
                    roles[third] += count
                    languages[fourth] += count
                    headcount.hotel_guests += hotel
                    headcount.visa_letters += visa
            elif part == _Part.CHECKED_IN:
                headcount.checked_in = count
            elif part == _Part.DIETARY_NOTES:
                headcount.dietary_notes = count
            elif part == _Part.ACCESSIBILITY:
                headcount.accessibility = count
            elif part == _Part.COUNTRIES:
                countries[first] += count
                members[key] += count
                for option in (second or "").split(","):
                    if option:
                        diets[option] += count
            elif part == _Part.DELEGATION_NAMES:
                names[key] = (first, second)
            elif part == _Part.STAYS:
                stays.append((day, other_day, count))
            else:
                # A transfer without a time yet is listed under hour -1 ("time not known").
                transfers[_Part(part)][(day, -1 if moment is None else moment.hour)] += count
        headcount.statuses = dict(statuses)
        headcount.active = sum(statuses[status] for status in ACTIVE_STATUSES)
        headcount.genders, headcount.roles = _ranked(genders.items()), _ranked(roles.items())
        headcount.languages = _ranked(languages.items())
        headcount.countries = _ranked(countries.items())
        headcount.delegations = sorted(
            ((*names.get(key, (None, None)), count) for key, count in members.items()),
            key=lambda row: (row[0] is None, -row[2], row[0] or ""),
        )
        headcount.dietary = _ranked(diets.items())
        headcount.hotel_nights, headcount.hotel_dates_unknown = self._nights(stays)
        for part, attribute in ((_Part.PICKUPS, "pickups"), (_Part.DROPOFFS, "dropoffs")):
            setattr(headcount, attribute, sorted((d, h, n) for (d, h), n in transfers[part].items()))
        return headcount

    def _statement(self):
        """Every count in one round trip. Each arm fills the columns it needs (`_COLUMNS`, typed
        NULL elsewhere, as UNION ALL wants the same types in each arm on PostgreSQL)."""
        r = Registration
        of_event = r.event_id == self.event.id
        active = col(r.status).in_(ACTIVE_STATUSES)

        def arm(part: _Part, *where, group_by=(), **values):
            columns = [literal(int(part), Integer).label("part")]
            columns += [values.get(name, cast(null(), kind)).label(name) for name, kind in _COLUMNS]
            return select(*columns).where(*where).group_by(*group_by)

        return union_all(
            arm(
                _Part.BREAKDOWN,
                of_event,
                group_by=[r.status, r.gender, r.role, r.language],
                first=r.status,
                second=r.gender,
                third=r.role,
                fourth=r.language,
                count=func.count(),
                hotel=_count_if(r.hotel_needed == True),  # noqa: E712 (SQL)
                visa=_count_if(r.visa_needed == True),  # noqa: E712 (SQL)
            ),
            arm(_Part.CHECKED_IN, of_event, col(r.checked_in_at).is_not(None), active, count=func.count()),
            arm(_Part.DIETARY_NOTES, of_event, active, col(r.dietary_notes).is_not(None), count=func.count()),
            arm(_Part.ACCESSIBILITY, of_event, active, col(r.accessibility).is_not(None), count=func.count()),
            arm(
                _Part.COUNTRIES,
                of_event,
                active,
                group_by=[r.country, r.delegation_id, r.dietary],
                first=r.country,
                second=r.dietary,
                key=r.delegation_id,
                count=func.count(),
            ),
            arm(
                _Part.DELEGATION_NAMES,
                Delegation.event_id == self.event.id,
                key=Delegation.id,
                first=Delegation.party,
                second=Delegation.country,
            ),
            arm(
                _Part.STAYS,
                of_event,
                r.hotel_needed == True,  # noqa: E712 (SQL)
                active,
                group_by=[r.arrival_date, r.departure_date],
                day=r.arrival_date,
                other_day=r.departure_date,
                count=func.count(),
            ),
            *(
                arm(
                    part,
                    of_event,
                    col(day).is_not(None),
                    active,
                    group_by=[day, moment],
                    day=day,
                    moment=moment,
                    count=func.count(),
                )
                for part, day, moment in (
                    (_Part.PICKUPS, r.arrival_date, r.arrival_time),
                    (_Part.DROPOFFS, r.departure_date, r.departure_time),
                )
            ),
        )

    def _nights(self, stays) -> tuple[list[tuple[date, int]], int]:
        """Guests per night from (arrival, departure, guests).

        A date not given yet is taken as the usual one for delegates who fly in: arriving the day
        before the event, leaving the day after (rooms are better booked than missing).
        """
        nights: Counter[date] = Counter()
        unknown = 0
        usual_arrival = self.event.starts_on - timedelta(days=1)
        usual_departure = self.event.ends_on + timedelta(days=1)
        for arrival, departure, guests in stays:
            if arrival is None or departure is None:
                unknown += guests
            day, last = arrival or usual_arrival, departure or usual_departure
            while day < last:
                nights[day] += guests
                day += timedelta(days=1)
        return sorted(nights.items()), unknown
