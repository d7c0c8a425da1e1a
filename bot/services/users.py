"""Per-user preferences kept outside any registration (the chosen language)."""

from __future__ import annotations

from sqlalchemy import exists, select

from bot.db import SessionFactory, autocommit_engine
from models import BotUser, StaffMember


class UserService:
    def __init__(self, sessions: SessionFactory):
        self._sessions = sessions
        self._autocommit = autocommit_engine(sessions)

    async def language(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            user = await session.get(BotUser, user_id)
            return user.language if user else None

    async def language_and_staff(self, user_id: int) -> tuple[str | None, bool]:
        """The chosen language, and whether an admin granted the user staff rights.

        Asked on every update (bot/middlewares.py), so both come from one statement.
        """
        statement = select(
            select(BotUser.language).where(BotUser.id == user_id).scalar_subquery(),
            exists().where(StaffMember.user_id == user_id),
        )
        async with self._autocommit.connect() as connection:
            language, granted = (await connection.execute(statement)).one()
        return language, bool(granted)

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._sessions() as session:
            user = await session.get(BotUser, user_id) or BotUser(id=user_id)
            user.language = language
            session.add(user)
            await session.commit()
