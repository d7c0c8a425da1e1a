"""Per-user preferences kept outside any registration (the chosen language)."""

from __future__ import annotations

from bot.db import SessionFactory
from models import BotUser


class UserService:
    def __init__(self, sessions: SessionFactory):
        self._sessions = sessions

    async def language(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            user = await session.get(BotUser, user_id)
            return user.language if user else None

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._sessions() as session:
            user = await session.get(BotUser, user_id) or BotUser(id=user_id)
            user.language = language
            session.add(user)
            await session.commit()
