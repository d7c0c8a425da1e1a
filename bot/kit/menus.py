"""Command menus per person: staff and admins see the delegate commands and theirs, in the
language they chose in the bot.

Everyone else sees the default menu (set in bot/app.py), in their Telegram language, until they
choose a language in the bot: then a menu scoped to their chat, in that language, replaces it at
once. Telegram looks for a chat's menu before the default one, and for a chat's menu in the
user's Telegram language before its menu for any language: a staff menu is therefore set in
every language (all in the chosen one, once there is one), a delegate's once, for any language.
Staff menus are set at start-up, when the staff role is granted or revoked (a revoked member gets
the delegate menu back), and when the person chooses a language.
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
from bot.core.users import UserService

log = logging.getLogger(__name__)

Commands = Sequence[tuple[str, str]]


def command_lines(commands: Commands) -> str:
    """`/name – description` lines, in the current language, as /help and the staff home list them."""
    return "\n".join(f"/{name} – {_(text)}" for name, text in commands)


class CommandMenus:
    def __init__(
        self,
        staff: StaffService,
        users: UserService,
        delegate: Commands,
        staff_only: Commands,
        admin_only: Commands,
    ):
        self._staff, self._users = staff, users
        self._delegate, self._staff_only, self._admin_only = delegate, staff_only, admin_only

    @property
    def staff_commands(self) -> Commands:
        return self._staff_only

    def tools_of(self, user_id: int, is_staff: bool) -> Commands:
        """The staff commands of the user's role (the admin ones too for an admin); none for others."""
        if not is_staff:
            return ()
        admin = self._admin_only if self._staff.is_admin(user_id) else ()
        return [*self._staff_only, *admin]

    async def install(self, bot: Bot) -> None:
        """At start-up: the menu of every admin and staff member."""
        for user_id in await self._staff.staff_ids():
            await self.refresh(bot, user_id)

    async def commands_for(self, user_id: int) -> Commands | None:
        """The user's staff menu; None for anyone else."""
        if not await self._staff.is_staff(user_id):
            return None
        return [*self._delegate, *self.tools_of(user_id, is_staff=True)]

    async def follow_language(self, bot: Bot, user_id: int, language: str, is_staff: bool) -> None:
        """The person chose `language` in the bot: their menu in it, at once."""
        if is_staff:
            await self.refresh(bot, user_id)
            return
        try:
            await self._set(bot, user_id, self._delegate, language, code=None)
        except TelegramAPIError as error:
            _could_not_set(user_id, error)

    async def refresh(self, bot: Bot, user_id: int) -> None:
        """The staff menu in every language; for anyone else, the staff menus removed and the
        delegate menu in the language they chose, if they chose one."""
        commands = await self.commands_for(user_id)
        chosen = await self._users.language(user_id)
        scope = BotCommandScopeChat(chat_id=user_id)
        try:
            for language, code in _menu_languages():
                if commands is not None:
                    await self._set(bot, user_id, commands, chosen or language, code)
                elif code is None and chosen is not None:
                    await self._set(bot, user_id, self._delegate, chosen, code)
                else:
                    await bot.delete_my_commands(scope=scope, language_code=code)
        except TelegramAPIError as error:
            # Typically an admin who has not opened the bot yet: their menu is set on the next start.
            _could_not_set(user_id, error)

    @staticmethod
    async def _set(bot: Bot, user_id: int, commands: Commands, language: str, code: str | None) -> None:
        with get_i18n().use_locale(language):
            menu = [BotCommand(command=name, description=_(text)) for name, text in commands]
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id=user_id), language_code=code)


def _menu_languages() -> list[tuple[str, str | None]]:
    """Each supported language with the code Telegram takes for it (None: the menu for any language).

    As for the default menu (bot/app.py): ISO 639-1 codes; a language without one has no menu of
    its own.
    """
    pairs: list[tuple[str, str | None]] = []
    for language in supported_languages():
        code = None if language == DEFAULT_LANGUAGE else telegram_language_code(language)
        if language == DEFAULT_LANGUAGE or code is not None:
            pairs.append((language, code))
    return pairs


def _could_not_set(user_id: int, error: TelegramAPIError) -> None:
    log.warning("a personal command menu could not be set: %s", type(error).__name__)
    log.debug("menu of user %s: %s", user_id, error)
