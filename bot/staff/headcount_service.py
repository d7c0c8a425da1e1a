"""Headcounts for the organisers: aggregate queries (GROUP BY) that read the same on every database.

Counts are of active registrations (registered or pending) unless said otherwise; check-ins are
read live from the registrations.

One statement counts everything: a UNION ALL of grouped queries, each read from its covering
index (bot/core/models/registration.py). PostgreSQL can only read an index alone where VACUUM has marked
the table's pages all-visible; until then (right after a bulk load, or many changes) each of these
queries would read the whole table, and it counts from one scan of the table instead, grouped by
GROUPING SETS (which SQLite lacks). Both give the same headcount (tests/test_staff_services.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum

from sqlalchemy import (
    Date,
    Integer,
    String,
    Time,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    null,
    table,
    tuple_,
    union_all,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.form import COLUMN_KEYS, QuestionType, counted_values
from bot.core.models import Delegation, Registration, RegistrationStatus
from bot.core.models.registration import ACTIVE_STATUSES


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
    ("visa", Integer),
)


def _arm(part: _Part, *where, group_by=(), **values):
    """One arm of a headcount statement: `part`, then `_COLUMNS` (NULL where not given)."""
    columns = [literal(int(part), Integer).label("part")]
    columns += [values.get(name, cast(null(), kind)).label(name) for name, kind in _COLUMNS]
    return select(*columns).where(*where).group_by(*group_by)


# The groupings of the one-scan statement (PostgreSQL), by column name, over the active
# registrations; each key is NULL in the rows of the sets that do not group by it.
_GROUPING_SETS = {
    _Part.BREAKDOWN: ("status", "gender", "role", "language", "visa_needed"),
    _Part.COUNTRIES: ("country", "delegation_id", "dietary"),
    _Part.STAYS: ("hotel_needed", "arrival_date", "departure_date", "hotel_check_in", "hotel_check_out"),
    _Part.PICKUPS: ("arrival_date", "arrival_time"),
    _Part.DROPOFFS: ("departure_date", "departure_time"),
}
# Listed rather than `NOT IN` the active ones, so that their count reads the status index.
_INACTIVE_STATUSES = tuple(status for status in RegistrationStatus if status not in ACTIVE_STATUSES)

# Below this share of the registration table's pages marked all-visible (by VACUUM, as
# autovacuum does soon after a bulk load or many updates), PostgreSQL counts in one scan of the
# table. Measured at 100,000 registrations: the index scans are faster with 90% of the pages
# all-visible, even at 80%, the one scan twice as fast with none.
ALL_VISIBLE_SHARE = 0.8
_PG_CLASS = table("pg_class", column("oid"), column("relpages"), column("relallvisible"))


async def reads_in_one_scan(session: AsyncSession) -> bool:
    """Whether the headcount reads the table in one scan: on PostgreSQL, while too few of its
    pages are marked all-visible (pg_class, as the planner sees it) for index-only scans."""
    if session.bind.dialect.name != "postgresql":
        return False
    pages, visible = (
        await session.exec(
            select(_PG_CLASS.c.relpages, _PG_CLASS.c.relallvisible).where(
                _PG_CLASS.c.oid == func.to_regclass(Registration.__tablename__)
            )
        )
    ).one()
    return pages > 0 and visible < ALL_VISIBLE_SHARE * pages


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
    # The form's own counted questions (choices, yes/no, countries; dates by day, in date order):
    # key -> (answer, people).
    answers: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _stay_start(columns):
    """The first night at the hotel: the check-in day where asked (no travel dates), else the
    arrival's."""
    return func.coalesce(columns.hotel_check_in, columns.arrival_date)


def _stay_end(columns):
    return func.coalesce(columns.hotel_check_out, columns.departure_date)


def _ranked(rows) -> list[tuple[str, int]]:
    """(key, count) rows, largest first, then by key; None keys dropped."""
    return sorted(((key, count) for key, count in rows if key is not None), key=lambda r: (-r[1], r[0]))


class HeadcountService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    async def count(self) -> Headcount:
        """One statement, from the indexes (`_statement`) or from one scan of the table
        (`_grouping_sets_statement`); finer buckets (the hour) are made here."""
        async with self._sessions() as session:
            one_scan = await reads_in_one_scan(session)
            statement = self._grouping_sets_statement() if one_scan else self._statement()
            rows = (await session.exec(statement)).all()
            headcount = self._headcount(rows)
            headcount.answers = await self._answers(session)
        return headcount

    async def _answers(self, session: AsyncSession) -> dict[str, list[tuple[str, int]]]:
        """The answers to the form's own choice, yes/no, country and date questions, from the JSON
        column: grouped by each answer in one statement, a multiple choice's ticks counted here."""
        form = self.event.form
        steps = [
            step
            for step in [
                *form.counted(),
                *(step for step in form.steps if step.question.type is QuestionType.DATE),
            ]
            if step.key not in COLUMN_KEYS
        ]
        if not steps:
            return {}
        r = Registration
        arms = []
        for index, step in enumerate(steps):
            # Grouped in an outer query: PostgreSQL takes the key, a bound parameter, as another
            # expression in GROUP BY than in the select list.
            answers = (
                select(r.custom_answers[step.key].as_string().label("answer"))
                .where(r.event_id == self.event.id, col(r.status).in_(ACTIVE_STATUSES))
                .subquery()
            )
            arms.append(
                select(
                    literal(index, Integer).label("question"), answers.c.answer, func.count().label("count")
                ).group_by(answers.c.answer)
            )
        counts: list[Counter[str]] = [Counter() for _ in steps]
        for index, answer, count in (await session.exec(union_all(*arms))).all():
            for value in counted_values(answer, steps[index].question.type):
                counts[index][value] += count
        return {
            step.key: sorted(counted.items())
            if step.question.type is QuestionType.DATE
            else _ranked(counted.items())
            for step, counted in zip(steps, counts, strict=True)
        }

    def _headcount(self, rows) -> Headcount:
        """The counts from the rows of either statement (`_COLUMNS`, after `part`)."""
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
        for part, first, second, third, fourth, key, day, other_day, moment, count, visa in rows:
            if part == _Part.BREAKDOWN:
                statuses[first] += count
                if first in ACTIVE_STATUSES:
                    genders[second] += count
                    roles[third] += count
                    languages[fourth] += count
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
                headcount.hotel_guests += count
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
        """Every count in one round trip, each grouped query reading its own covering index.
        Each arm fills the columns it needs (`_COLUMNS`, typed NULL elsewhere, as UNION ALL wants
        the same types in each arm on PostgreSQL)."""
        r = Registration
        of_event = r.event_id == self.event.id
        active = col(r.status).in_(ACTIVE_STATUSES)
        return union_all(
            _arm(
                _Part.BREAKDOWN,
                of_event,
                group_by=[r.status, r.gender, r.role, r.language],
                first=r.status,
                second=r.gender,
                third=r.role,
                fourth=r.language,
                count=func.count(),
                visa=func.count().filter(r.visa_needed),
            ),
            *self._small_arms(),
            _arm(
                _Part.COUNTRIES,
                of_event,
                active,
                group_by=[r.country, r.delegation_id, r.dietary],
                first=r.country,
                second=r.dietary,
                key=r.delegation_id,
                count=func.count(),
            ),
            _arm(
                _Part.STAYS,
                of_event,
                r.hotel_needed == True,  # noqa: E712 (SQL)
                active,
                group_by=[r.arrival_date, r.departure_date, r.hotel_check_in, r.hotel_check_out],
                day=_stay_start(r),
                other_day=_stay_end(r),
                count=func.count(),
            ),
            *(
                _arm(
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

    def _grouping_sets_statement(self):
        """PostgreSQL only: rows read like `_statement`'s, its five groupings of the table made
        in one scan (GROUP BY GROUPING SETS, `_GROUPING_SETS`), where `_statement` reads the table
        five times when its indexes cannot be read alone. The grouped rows (a CTE) are told apart
        by GROUPING() of every key. Withdrawn and erased registrations are counted apart, from
        the status index; the other arms are `_statement`'s.
        """
        r = Registration.__table__.c
        sets = {part: [r[name] for name in names] for part, names in _GROUPING_SETS.items()}
        keys = list({key.name: key for keys in sets.values() for key in keys}.values())

        def grouping_of(part: _Part) -> int:
            """What GROUPING(*keys) reads in the rows of a set: bit on for each key not in it,
            the first key's bit the highest."""
            names = {key.name for key in sets[part]}
            return sum(1 << bit for bit, key in enumerate(reversed(keys)) if key.name not in names)

        grouped = (
            select(
                func.grouping(*keys).label("grouping"),
                *keys,
                func.count().label("count"),
            )
            .where(r.event_id == self.event.id, r.status.in_(ACTIVE_STATUSES))
            .group_by(func.grouping_sets(*(tuple_(*keys) for keys in sets.values())))
            .cte("grouped")
        )
        g = grouped.c
        in_set = {part: g.grouping == grouping_of(part) for part in sets}
        return union_all(
            _arm(
                _Part.BREAKDOWN,
                in_set[_Part.BREAKDOWN],
                first=g.status,
                second=g.gender,
                third=g.role,
                fourth=g.language,
                count=g.count,
                visa=case((g.visa_needed, g.count), else_=0),
            ),
            _arm(
                _Part.BREAKDOWN,
                r.event_id == self.event.id,
                r.status.in_(bindparam("inactive", _INACTIVE_STATUSES, expanding=True, literal_execute=True)),
                group_by=[r.status],
                first=r.status,
                count=func.count(),
            ),
            *self._small_arms(),
            _arm(
                _Part.COUNTRIES,
                in_set[_Part.COUNTRIES],
                first=g.country,
                second=g.dietary,
                key=g.delegation_id,
                count=g.count,
            ),
            _arm(
                _Part.STAYS,
                in_set[_Part.STAYS],
                g.hotel_needed,
                day=_stay_start(g),
                other_day=_stay_end(g),
                count=g.count,
            ),
            *(
                _arm(part, in_set[part], day.is_not(None), day=day, moment=moment, count=g.count)
                for part, day, moment in (
                    (_Part.PICKUPS, g.arrival_date, g.arrival_time),
                    (_Part.DROPOFFS, g.departure_date, g.departure_time),
                )
            ),
        )

    def _small_arms(self):
        """The counts read from partial or small indexes, the same in both statements."""
        r = Registration
        of_event = r.event_id == self.event.id
        active = col(r.status).in_(ACTIVE_STATUSES)
        return (
            _arm(_Part.CHECKED_IN, of_event, col(r.checked_in_at).is_not(None), active, count=func.count()),
            _arm(
                _Part.DIETARY_NOTES, of_event, active, col(r.dietary_notes).is_not(None), count=func.count()
            ),
            _arm(
                _Part.ACCESSIBILITY, of_event, active, col(r.accessibility).is_not(None), count=func.count()
            ),
            _arm(
                _Part.DELEGATION_NAMES,
                Delegation.event_id == self.event.id,
                key=Delegation.id,
                first=Delegation.party,
                second=Delegation.country,
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
