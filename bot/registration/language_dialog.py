"""/language: pick the bot's language at any time; the dialogue underneath re-renders in it."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Select

from bot.core.i18n import N_, get_i18n, language_name, supported_languages
from bot.core.i18n import gettext as _
from bot.kit.resume import move_window_down
from bot.kit.services import services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T, choices, language_choices
from bot.states import LanguageSG


async def switch_language(callback: CallbackQuery, manager: DialogManager, code: str) -> bool:
    """The language picked on a picker (/language, the registration's first window): kept, spoken
    from now on, confirmed in it where the picker was, and the command menu in it at once. What
    the dialogue shows next comes below the confirmation. False for a language the bot does not
    speak (a forged button)."""
    if code not in supported_languages():
        return False
    services, user_id = services_of(manager), callback.from_user.id
    await services.users.set_language(user_id, code)
    get_i18n().current_locale = code
    is_staff = manager.middleware_data.get("is_staff", False)  # bot/runtime/middlewares.py
    await services.menus.follow_language(callback.bot, user_id, code, is_staff)
    await callback.message.edit_text(_("✅ Language: {language}").format(language=language_name(code)))
    manager.show_mode = ShowMode.SEND
    return True


async def _getter(**_kw) -> dict:
    return {"languages": language_choices()}


async def _on_pick(callback: CallbackQuery, _w: Select, manager: DialogManager, code: str) -> None:
    if not await switch_language(callback, manager, code):
        return
    # The dialogue underneath, if any, comes below the confirmation in the new language; its copy
    # in the old language above is deleted, not left twice.
    underneath = len(manager.current_stack().intents) > 1
    await manager.done(show_mode=ShowMode.NO_UPDATE)
    if underneath:
        await move_window_down(manager)


def language_dialog() -> Dialog:
    return Dialog(
        Window(
            T(N_("🌐 Choose your language:")),
            choices("lang", "languages", _on_pick),
            UNEXPECTED_INPUT,
            state=LanguageSG.pick,
            getter=_getter,
        ),
    )
