"""Headcounts for the organisers: aggregate queries (GROUP BY) that read the same on every database.

Counts are of active registrations (registered or pending) unless said otherwise; check-ins are
read live from the registrations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func
from sqlmodel import col, select

from bot.db import SessionFactory
from bot.event import Event
from bot.services.delegations import ACTIVE_STATUSES
from models import Delegation, Registration


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
        """About ten GROUP BY queries, each answered from its covering index (see models/registration.py):
        they group by the index's own columns, and finer buckets (the hour) are made here."""
        r = Registration
        of_event = r.event_id == self.event.id
        active = col(r.status).in_(ACTIVE_STATUSES)
        headcount = Headcount()
        async with self._sessions() as session:

            async def rows(*columns, where=(), group_by=()):
                return (
                    await session.exec(select(*columns).where(of_event, *where).group_by(*group_by))
                ).all()

            async def number(*where) -> int:
                return (await session.exec(select(func.count()).where(of_event, *where))).one()

            genders: Counter[str] = Counter()
            roles: Counter[str] = Counter()
            languages: Counter[str] = Counter()
            statuses: Counter[str] = Counter()
            for status, gender, role, language, count, hotel, visa in await rows(
                r.status,
                r.gender,
                r.role,
                r.language,
                func.count(),
                _count_if(r.hotel_needed == True),  # noqa: E712 (SQL)
                _count_if(r.visa_needed == True),  # noqa: E712 (SQL)
                group_by=[r.status, r.gender, r.role, r.language],
            ):
                statuses[status] += count
                if status in ACTIVE_STATUSES:
                    genders[gender] += count
                    roles[role] += count
                    languages[language] += count
                    headcount.hotel_guests += hotel
                    headcount.visa_letters += visa
            headcount.statuses = dict(statuses)
            headcount.active = sum(statuses[status] for status in ACTIVE_STATUSES)
            headcount.genders, headcount.roles = _ranked(genders.items()), _ranked(roles.items())
            headcount.languages = _ranked(languages.items())

            headcount.checked_in = await number(col(r.checked_in_at).is_not(None), active)
            headcount.dietary_notes = await number(active, col(r.dietary_notes).is_not(None))
            headcount.accessibility = await number(active, col(r.accessibility).is_not(None))

            headcount.countries = _ranked(
                await rows(r.country, func.count(), where=[active], group_by=[r.country])
            )

            members = await rows(r.delegation_id, func.count(), where=[active], group_by=[r.delegation_id])
            names = {
                key: (party, country)
                for key, party, country in (
                    await session.exec(
                        select(Delegation.id, Delegation.party, Delegation.country).where(
                            Delegation.event_id == self.event.id
                        )
                    )
                ).all()
            }
            headcount.delegations = sorted(
                ((*names.get(key, (None, None)), count) for key, count in members),
                key=lambda row: (row[0] is None, -row[2], row[0] or ""),
            )

            diets: Counter[str] = Counter()
            for combination, count in await rows(
                r.dietary, func.count(), where=[col(r.dietary).is_not(None), active], group_by=[r.dietary]
            ):
                for option in combination.split(","):
                    if option:
                        diets[option] += count
            headcount.dietary = _ranked(diets.items())

            stays = await rows(
                r.arrival_date,
                r.departure_date,
                func.count(),
                where=[r.hotel_needed == True, active],  # noqa: E712 (SQL)
                group_by=[r.arrival_date, r.departure_date],
            )
            headcount.hotel_nights, headcount.hotel_dates_unknown = self._nights(stays)

            for attribute, day, moment in (
                ("pickups", r.arrival_date, r.arrival_time),
                ("dropoffs", r.departure_date, r.departure_time),
            ):
                by_hour: Counter[tuple[date, int]] = Counter()
                for when, at, count in await rows(
                    day, moment, func.count(), where=[col(day).is_not(None), active], group_by=[day, moment]
                ):
                    # A transfer without a time yet is listed under hour -1 ("time not known").
                    by_hour[(when, -1 if at is None else at.hour)] += count
                setattr(headcount, attribute, sorted((d, h, n) for (d, h), n in by_hour.items()))
        return headcount

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
