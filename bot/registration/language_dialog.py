"""/language: pick the bot's language at any time; the dialogue underneath re-renders in it."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Select

from bot.core.i18n import N_, get_i18n, language_name, supported_languages
from bot.core.i18n import gettext as _
from bot.kit.services import services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T, choices, language_choices
from bot.states import LanguageSG


async def _getter(**_kw) -> dict:
    return {"languages": language_choices()}


async def _on_pick(callback: CallbackQuery, _w: Select, manager: DialogManager, code: str) -> None:
    if code not in supported_languages():
        return
    await services_of(manager).users.set_language(callback.from_user.id, code)
    get_i18n().current_locale = code
    if len(manager.current_stack().intents) > 1:
        await manager.done()  # the dialogue underneath is shown again, in the new language
        return
    # Nothing underneath: the picker becomes the confirmation, in the new language.
    await callback.message.edit_text(_("✅ Language: {language}").format(language=language_name(code)))
    await manager.done(show_mode=ShowMode.NO_UPDATE)


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
