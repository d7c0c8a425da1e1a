"""Outer middlewares on `dp.update`, so that background dialogue updates get them too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.core.access import StaffService
from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n, match_language
from bot.core.users import UserService


class LanguageMiddleware(BaseMiddleware):
    """The user's language: chosen in the bot, else Telegram's `language_code`, else English.

    The same statement tells whether the user is staff: `is_staff` in the handler data, read by
    the StaffOnly filters of several routers, so that an update costs one lookup, not one each.
    """

    def __init__(self, users: UserService, staff: StaffService):
        self._users, self._staff = users, staff

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        language = None
        if user is not None:
            chosen, granted = await self._users.language_and_staff(user.id)
            language = chosen or match_language(user.language_code)
            data["is_staff"] = granted or self._staff.is_admin(user.id)
        # Kept in the shared data for the errors router, which runs outside this middleware.
        data["language"] = language or DEFAULT_LANGUAGE
        with get_i18n().use_locale(data["language"]):
            return await handler(event, data)
