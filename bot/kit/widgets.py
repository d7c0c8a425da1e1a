"""Widgets and handlers shared by the dialogues."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from aiogram.types import Message, ReplyKeyboardRemove
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Group, ScrollingGroup, Select
from aiogram_dialog.widgets.text import Format, Text

from bot.core.i18n import fmt_date, get_i18n, gettext, language_name, supported_languages
from bot.core.input_checks import InvalidAnswer
from bot.kit.services import services_of


def current_language() -> str:
    return get_i18n().current_locale


def language_choices() -> list[tuple[str, str]]:
    """(code, native name) of every language, the current one ticked."""
    language = current_language()
    return [
        (code, ("✅ " if code == language else "") + language_name(code)) for code in supported_languages()
    ]


class T(Text):
    """A translated text: the msgid is looked up in the current language, then formatted with the
    window's data (`{name}` placeholders). Values shown to users must be escaped by the getter."""

    def __init__(self, msgid: str, when: Any = None):
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return gettext(self.msgid).format_map(data)


def choices(
    widget_id: str, items: str, on_click: Any, width: int = 2, height: int | None = None
) -> Group | ScrollingGroup:
    """Buttons for `(id, label)` pairs from the getter's `items` key; a press calls `on_click`.
    With a `height`, rows beyond it are paged (the pager shows only when needed)."""
    select = Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=lambda item: item[0],
        items=items,
        on_click=on_click,
    )
    if height is None:
        return Group(select, width=width)
    return ScrollingGroup(select, id=f"{widget_id}s", width=width, height=height, hide_on_single_page=True)


def _display(value: object) -> str:
    if isinstance(value, date):
        return fmt_date(value, current_language(), "long")
    return html.escape(str(value))


async def answer_taking_keyboard_away(message: Message, manager: DialogManager, text: str) -> None:
    """Answer and remove the reply keyboard in the same message: aiogram-dialog would otherwise
    send a bare "..." message of its own to remove it. The window is shown again below."""
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    manager.current_stack().last_reply_keyboard = False
    manager.show_mode = ShowMode.SEND


async def say_invalid(message: Message, manager: DialogManager, error: InvalidAnswer) -> None:
    """Explain what was wrong in the user's language; the same question is shown again below."""
    values = {key: _display(value) for key, value in error.values.items()}
    await message.answer("⚠️ " + gettext(error.msgid).format_map(values))
    manager.show_mode = ShowMode.SEND


async def _unexpected_input(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    if message.text and not message.text.startswith("/"):
        # Text where buttons are expected is most often a question ("is there a hotel?"): it is
        # answered, and the window is shown again below.
        await services_of(manager).answer_question(message, manager, in_dialogue=True)
    else:
        text = gettext("I can only read text here. Please type your answer or use the buttons.")
        await message.answer("⚠️ " + text)
    manager.show_mode = ShowMode.SEND


# Last input of every window: anything the window does not expect gets an explanation.
UNEXPECTED_INPUT = MessageInput(_unexpected_input)
