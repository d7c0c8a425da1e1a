"""Per-user preferences kept outside any registration (the chosen language)."""

from __future__ import annotations

import time

from sqlalchemy import exists, or_, select

from bot.core.db import SessionFactory, autocommit_engine, insert_for
from bot.core.models import BotUser, Registration, RegistrationStart, StaffMember
from bot.core.models.base import utcnow

# Users whose answers are kept at most (a few MB); past it the kept answers start again empty.
KEPT_USERS_MAX = 50_000


class UserService:
    def __init__(self, sessions: SessionFactory, keep_seconds: float = 0.0):
        """`keep_seconds`: how long `language_and_staff` answers are kept in this process, for a
        bot that is the only process using the database (no REDIS_URL): a change made by another
        process is seen only after that time. The changes this process makes are seen at once
        (`forget_kept`)."""
        self._sessions = sessions
        self._autocommit = autocommit_engine(sessions)
        self._keep_seconds = keep_seconds
        self._kept: dict[int, tuple[str | None, bool, float]] = {}  # user -> (language, staff, until)

    async def language(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            user = await session.get(BotUser, user_id)
            return user.language if user else None

    async def has_used_bot(self, user_id: int) -> bool:
        """Whether the bot has a record of the user: a language chosen, a registration started or
        made. Telegram lets a bot write only to people who have opened it: to no one else."""
        statement = select(
            or_(
                exists().where(BotUser.id == user_id),
                exists().where(Registration.user_id == user_id),
                exists().where(RegistrationStart.user_id == user_id),
            )
        )
        async with self._autocommit.connect() as connection:
            return bool((await connection.execute(statement)).scalar())

    async def language_and_staff(self, user_id: int) -> tuple[str | None, bool]:
        """The chosen language, and whether an admin granted the user staff rights.

        Asked on every update (bot/runtime/middlewares.py), so both come from one statement, or none
        while the answer is kept.
        """
        language, granted, until = self._kept.get(user_id, (None, False, 0.0))
        if until >= time.monotonic():
            return language, granted
        statement = select(
            select(BotUser.language).where(BotUser.id == user_id).scalar_subquery(),
            exists().where(StaffMember.user_id == user_id),
        )
        async with self._autocommit.connect() as connection:
            language, granted = (await connection.execute(statement)).one()
        if self._keep_seconds:
            if len(self._kept) >= KEPT_USERS_MAX:
                self._kept.clear()
            self._kept[user_id] = (language, bool(granted), time.monotonic() + self._keep_seconds)
        return language, bool(granted)

    def forget_kept(self, user_id: int | None = None) -> None:
        """After a change of the user's language or staff rights (None: of any user)."""
        if user_id is None:
            self._kept.clear()
        else:
            self._kept.pop(user_id, None)

    async def set_language(self, user_id: int, language: str) -> None:
        # One upsert: the language picker is the second step of every registration.
        insert = insert_for(self._autocommit, BotUser.__table__).values(
            id=user_id, language=language, first_seen=utcnow()
        )
        async with self._autocommit.begin() as connection:
            await connection.execute(
                insert.on_conflict_do_update(index_elements=["id"], set_={"language": language})
            )
        kept = self._kept.get(user_id)
        if kept is not None:  # the staff rights kept are still right: only the language changed
            self._kept[user_id] = (language, kept[1], kept[2])
