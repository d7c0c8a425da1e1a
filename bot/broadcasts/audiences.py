"""Who receives a broadcast: audiences as database queries, and who started registering.

Every audience is a query of (chat id, language) rows: counted for the preview, and copied into
the outbox (one delivery row per recipient) when the broadcast starts, so that people who
register between the preview and a scheduled send are included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, false, func, not_, or_
from sqlmodel import col, delete, select

from bot.core.db import SessionFactory, autocommit_engine, insert_for
from bot.core.event import Event
from bot.core.form import COLUMN_KEYS, Condition, QuestionType, Step, counted_values
from bot.core.models import BotUser, Delegation, Registration, RegistrationStart, RegistrationStatus


class AudienceKind(StrEnum):
    ALL = "all"  # everyone registered (pending included)
    STATUS = "status"
    COUNTRY = "country"
    DELEGATION = "delegation"
    ROLE = "role"
    LANGUAGE = "language"
    ANSWER = "answer"  # by the answer to a choice or yes/no question of the form: "<key>=<value>"
    # Registered before a required question was added to the form, not answered it yet: its key.
    MISSING = "missing"
    UNFINISHED = "unfinished"  # opened the registration dialogue, never confirmed
    NOT_CHECKED_IN = "not_checked_in"


# Kinds that need a value (which status, which country...).
KINDS_WITH_VALUE = frozenset(
    {
        AudienceKind.STATUS,
        AudienceKind.COUNTRY,
        AudienceKind.DELEGATION,
        AudienceKind.ROLE,
        AudienceKind.LANGUAGE,
        AudienceKind.ANSWER,
        AudienceKind.MISSING,
    }
)
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING)
STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING, RegistrationStatus.WITHDRAWN)


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    value: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "value": self.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(AudienceKind(data["kind"]), data.get("value"))


@dataclass(frozen=True)
class Option:
    """A value of an audience kind present in the registrations, with how many it reaches."""

    value: str
    count: int
    party: str | None = None  # delegations: their party and country
    country: str | None = None


class AudienceService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    # -- queries

    def recipients(self, audience: Audience) -> Select:
        """(chat_id, language) of every recipient; the language is the one chosen in the bot,
        else the registration's (or, for unfinished ones, the one the dialogue opened in)."""
        if audience.kind is AudienceKind.UNFINISHED:
            return self._unfinished()
        language = func.coalesce(BotUser.language, Registration.language)
        query = (
            select(col(Registration.user_id).label("chat_id"), language.label("language"))
            .outerjoin(BotUser, col(BotUser.id) == col(Registration.user_id))
            .where(Registration.event_id == self.event.id, col(Registration.user_id).is_not(None))
        )
        active = col(Registration.status).in_(ACTIVE)
        match audience.kind:
            case AudienceKind.ALL:
                return query.where(active)
            case AudienceKind.STATUS:
                return query.where(Registration.status == audience.value)
            case AudienceKind.COUNTRY:
                return query.where(active, Registration.country == audience.value)
            case AudienceKind.DELEGATION:
                delegation_id = int(audience.value) if (audience.value or "").isdigit() else -1
                return query.where(active, Registration.delegation_id == delegation_id)
            case AudienceKind.ROLE:
                return query.where(active, Registration.role == audience.value)
            case AudienceKind.LANGUAGE:
                return query.where(active, language == audience.value)
            case AudienceKind.NOT_CHECKED_IN:
                return query.where(active, col(Registration.checked_in_at).is_(None))
            case AudienceKind.ANSWER:
                return query.where(active, self._answered(audience.value or ""))
            case AudienceKind.MISSING:
                return query.where(active, self._missing(audience.value or ""))
        raise ValueError(audience.kind)

    def _chosen_steps(self) -> list[Step]:
        """The questions an audience can be chosen by (countries and roles have their own kind)."""
        return [
            step
            for step in self.event.form.counted()
            if step.question.type is not QuestionType.COUNTRY and step.key != "role"
        ]

    def _answer_column(self, step: Step) -> Any:
        if step.key in COLUMN_KEYS:
            return col(getattr(Registration, step.key))
        return Registration.custom_answers[step.key].as_string()

    def _answered(self, value: str) -> Any:
        """Whose answer to the question of `<key>=<value>` is (or includes) the value."""
        key, _sep, chosen = value.partition("=")
        step = self.event.form.step(key)
        if step is None or step not in self._chosen_steps():
            return false()
        return self._is(step, chosen)

    def _is(self, step: Step, chosen: str) -> Any:
        """Whose answer to `step` is (or includes) `chosen`, as `counted_values` reads it."""
        column = self._answer_column(step)
        if step.question.type is QuestionType.YES_NO:
            if chosen not in ("yes", "no"):
                return false()
            if step.key in COLUMN_KEYS:  # a boolean column
                return column.is_(chosen == "yes")
            # JSON true as text: "true" on PostgreSQL, "1" on SQLite (`counted_values`).
            return column.in_(("true", "1") if chosen == "yes" else ("false", "0"))
        if step.question.type is QuestionType.MULTI:
            if step.key in COLUMN_KEYS:  # comma-separated ids
                return ("," + column + ",").contains(f",{chosen},")
            return column.contains(json.dumps(chosen))
        return column == chosen

    def _missing(self, key: str) -> Any:
        """Who is asked the required question of `key` and has no answer to it: registered before
        it was added to the form (`Form.unanswered`, in SQL: its conditions, and a group's later
        question only once the group's first was answered)."""
        form = self.event.form
        step = form.step(key)
        if step is None or step not in form.required_steps:
            return false()
        asked = [self._holds(other, condition) for other, condition in step.conditions]
        if step.first_key is not None:
            asked.append(self._answer_column(form.step(step.first_key)).is_not(None))
        return and_(self._answer_column(step).is_(None), *asked)

    def _holds(self, key: str, condition: Condition) -> Any:
        """`Condition.holds` on the stored answer of `key`, in SQL."""
        step = self.event.form.step(key)
        if step is None:
            return false()
        column = self._answer_column(step)

        def equal(value: Any) -> Any:
            if value is None:
                return column.is_(None)
            [counted] = counted_values(value, step.question.type) or [None]
            return self._is(step, counted)

        if condition.equals is not None:
            return or_(*(equal(value) for value in condition.equals))
        # No answer is none of the values.
        return and_(
            *(
                column.is_not(None) if value is None else or_(column.is_(None), not_(equal(value)))
                for value in condition.not_ or ()
            )
        )

    def _unfinished(self) -> Select:
        start = RegistrationStart
        registration = and_(
            Registration.event_id == start.event_id, col(Registration.user_id) == col(start.user_id)
        )
        return (
            select(
                col(start.user_id).label("chat_id"),
                func.coalesce(BotUser.language, start.language).label("language"),
            )
            .outerjoin(Registration, registration)
            .outerjoin(BotUser, col(BotUser.id) == col(start.user_id))
            .where(
                start.event_id == self.event.id,
                or_(
                    col(Registration.id).is_(None),
                    # Withdrew, then started again without confirming.
                    and_(
                        Registration.status == RegistrationStatus.WITHDRAWN,
                        col(start.started_at) > col(Registration.withdrawn_at),
                    ),
                ),
            )
        )

    async def count(self, audience: Audience) -> int:
        return sum((await self.languages(audience)).values())

    async def languages(self, audience: Audience) -> dict[str, int]:
        """Recipients per language."""
        recipients = self.recipients(audience).subquery()
        query = select(recipients.c.language, func.count()).group_by(recipients.c.language)
        async with self._sessions() as session:
            return {language: count for language, count in (await session.exec(query)).all()}

    async def options(self, kind: AudienceKind) -> list[Option]:
        """The values of `kind` that reach someone, with their counts."""
        if kind is AudienceKind.STATUS:
            counts = await self._grouped(col(Registration.status), col(Registration.status).in_(STATUSES))
            return [Option(status.value, counts[status]) for status in STATUSES if counts.get(status)]
        if kind is AudienceKind.DELEGATION:
            return await self._delegations()
        if kind is AudienceKind.LANGUAGE:
            recipients = self.recipients(Audience(AudienceKind.ALL)).subquery()
            query = select(recipients.c.language, func.count()).group_by(recipients.c.language)
            async with self._sessions() as session:
                rows = (await session.exec(query)).all()
            return [Option(language, count) for language, count in sorted(rows)]
        if kind is AudienceKind.ANSWER:
            return await self._answers()
        if kind is AudienceKind.MISSING:
            return await self._missing_options()
        column = {AudienceKind.COUNTRY: Registration.country, AudienceKind.ROLE: Registration.role}[kind]
        counts = await self._grouped(col(column), col(Registration.status).in_(ACTIVE))
        return [Option(value, count) for value, count in sorted(counts.items())]

    async def _grouped(self, column: Any, condition: Any) -> dict[str, int]:
        # Grouped in an outer query: PostgreSQL takes a JSON key, a bound parameter, as another
        # expression in GROUP BY than in the select list.
        values = (
            select(column.label("value"))
            .where(Registration.event_id == self.event.id, col(Registration.user_id).is_not(None), condition)
            .subquery()
        )
        query = select(values.c.value, func.count()).group_by(values.c.value)
        async with self._sessions() as session:
            return {value: count for value, count in (await session.exec(query)).all()}

    async def _answers(self) -> list[Option]:
        """Each answer given to the questions audiences are chosen by, with how many gave it."""
        options = []
        for step in self._chosen_steps():
            counts: dict[str, int] = {}
            for stored, count in (
                await self._grouped(self._answer_column(step), col(Registration.status).in_(ACTIVE))
            ).items():
                for value in counted_values(stored, step.question.type):
                    counts[value] = counts.get(value, 0) + count
            options += [Option(f"{step.key}={value}", count) for value, count in counts.items()]
        return options

    async def _missing_options(self) -> list[Option]:
        """The required questions that registrations lack, with how many lack each: one statement."""
        steps = self.event.form.required_steps
        if not steps:
            return []
        r = Registration
        counts = select(*(func.count().filter(self._missing(step.key)) for step in steps)).where(
            r.event_id == self.event.id, col(r.user_id).is_not(None), col(r.status).in_(ACTIVE)
        )
        async with self._sessions() as session:
            lacking = (await session.exec(counts)).one()
        return [Option(step.key, count) for step, count in zip(steps, lacking, strict=True) if count]

    async def _delegations(self) -> list[Option]:
        members = func.count(col(Registration.id))
        query = (
            select(col(Delegation.id), Delegation.party, Delegation.country, members)
            .join(Registration, col(Registration.delegation_id) == col(Delegation.id))
            .where(
                Delegation.event_id == self.event.id,
                col(Registration.user_id).is_not(None),
                col(Registration.status).in_(ACTIVE),
            )
            .group_by(col(Delegation.id), Delegation.party, Delegation.country)
            .order_by(Delegation.party)
        )
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
        return [Option(str(id_), count, party, country) for id_, party, country, count in rows]

    async def delegation(self, delegation_id: str) -> Delegation | None:
        if not delegation_id.isdigit():
            return None
        async with self._sessions() as session:
            delegation = await session.get(Delegation, int(delegation_id))
        return delegation if delegation is not None and delegation.event_id == self.event.id else None

    # -- who started registering

    async def registration_started(self, user_id: int, language: str, now: datetime) -> None:
        """Remember (or refresh) that the user opened the registration dialogue."""
        engine = autocommit_engine(self._sessions)  # no BEGIN/COMMIT round trips on PostgreSQL
        insert = insert_for(engine, RegistrationStart.__table__).values(
            event_id=self.event.id, user_id=user_id, started_at=now, language=language
        )
        # One upsert, also when another process records the same start at the same moment.
        async with engine.begin() as connection:
            await connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["event_id", "user_id"], set_={"started_at": now, "language": language}
                )
            )

    async def registration_declined(self, user_id: int) -> None:
        """Declining the privacy notice ends it: no reminders about an unfinished registration."""
        async with self._sessions() as session:
            await session.exec(
                delete(RegistrationStart).where(
                    RegistrationStart.event_id == self.event.id, col(RegistrationStart.user_id) == user_id
                )
            )
            await session.commit()
