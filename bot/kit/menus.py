"""Command menus of admins and staff: the delegate commands and theirs.

Everyone else sees the default menu (set in bot/app.py). A personal menu is a chat-scoped
command list in each supported language; it is set at start-up, and when the staff role is
granted or revoked (a revoked member gets the default menu back).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.core.access import StaffService
from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n, supported_languages, telegram_language_code
from bot.core.i18n import gettext as _

log = logging.getLogger(__name__)

Commands = Sequence[tuple[str, str]]


class CommandMenus:
    def __init__(
        self,
        staff: StaffService,
        delegate: Commands,
        staff_only: Commands,
        admin_only: Commands,
    ):
        self._staff = staff
        self._delegate, self._staff_only, self._admin_only = delegate, staff_only, admin_only

    @property
    def staff_commands(self) -> Commands:
        return self._staff_only

    async def install(self, bot: Bot) -> None:
        """At start-up: the menu of every admin and staff member."""
        for user_id in await self._staff.staff_ids():
            await self.refresh(bot, user_id)

    async def commands_for(self, user_id: int) -> Commands | None:
        """The user's own menu; None when the default menu fits."""
        if not await self._staff.is_staff(user_id):
            return None
        admin = self._admin_only if self._staff.is_admin(user_id) else ()
        return [*self._delegate, *self._staff_only, *admin]

    async def refresh(self, bot: Bot, user_id: int) -> None:
        commands = await self.commands_for(user_id)
        scope = BotCommandScopeChat(chat_id=user_id)
        i18n = get_i18n()
        try:
            for language in supported_languages():
                # As for the default menu (bot/app.py): ISO 639-1 codes, English for the rest.
                code = None if language == DEFAULT_LANGUAGE else telegram_language_code(language)
                if language != DEFAULT_LANGUAGE and code is None:
                    continue
                if commands is None:
                    await bot.delete_my_commands(scope=scope, language_code=code)
                    continue
                with i18n.use_locale(language):
                    menu = [BotCommand(command=name, description=_(text)) for name, text in commands]
                await bot.set_my_commands(menu, scope=scope, language_code=code)
        except TelegramAPIError as error:
            # Typically an admin who has not opened the bot yet: their menu is set on the next start.
            log.warning("a personal command menu could not be set: %s", type(error).__name__)
            log.debug("menu of user %s: %s", user_id, error)
