"""Widgets and handlers shared by the dialogues."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from aiogram.types import InlineKeyboardButton, Message, ReplyKeyboardRemove
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.internal import RawKeyboard
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Group, ScrollingGroup, Select
from aiogram_dialog.widgets.text import Format, Text

from bot.core.i18n import (
    N_,
    fmt_date,
    fmt_number,
    get_i18n,
    gettext,
    is_right_to_left,
    language_name,
    supported_languages,
)
from bot.core.input_checks import InvalidAnswer
from bot.kit.resume import show_again
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


# Arrows as a left-to-right reader sees them, then as a right-to-left (Urdu) reader does: "back"
# points to where lines start, "previous" to the page before.
_ARROWS = {
    "back": ("⬅️", "➡️"),
    "forward": ("➡️", "⬅️"),
    "previous": ("‹", "›"),
    "next": ("›", "‹"),
}


def arrow(direction: str) -> str:
    """The arrow for `direction` ("back", "forward", "previous", "next") in the current language's
    reading direction."""
    left_to_right, right_to_left = _ARROWS[direction]
    return right_to_left if is_right_to_left(current_language()) else left_to_right


class WithArrow(T):
    """A translated label behind the arrow of its direction: `WithArrow("back", N_("Back"))`
    reads "⬅️ Back", and "➡️ واپس" in Urdu."""

    def __init__(self, direction: str, msgid: str, when: Any = None):
        super().__init__(msgid, when=when)
        self.direction = direction

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return f"{arrow(self.direction)} {await super()._render_text(data, manager)}"


def back_text() -> WithArrow:
    return WithArrow("back", N_("Back"))


class PagedGroup(ScrollingGroup):
    """Rows beyond `height` on further pages, under one pager row "‹ 1/2 ›" (none for a single
    page). In a right-to-left language the row is mirrored: the previous page "›" on the right,
    where reading starts, the next one "‹" on the left. The arrows go round: after the last page
    comes the first."""

    async def _render_pager(self, pages: int, manager: DialogManager) -> RawKeyboard:
        if pages < 2:
            return []
        language = current_language()
        current = min(pages - 1, await self.get_page(manager))
        row = [
            InlineKeyboardButton(
                text=arrow("previous"), callback_data=self._item_callback_data((current - 1) % pages)
            ),
            InlineKeyboardButton(
                text=f"{fmt_number(current + 1, language)}/{fmt_number(pages, language)}",
                callback_data=self._item_callback_data(current),
            ),
            InlineKeyboardButton(
                text=arrow("next"), callback_data=self._item_callback_data((current + 1) % pages)
            ),
        ]
        return [row[::-1] if is_right_to_left(language) else row]


def choices(
    widget_id: str, items: str, on_click: Any, width: int = 2, height: int | None = None
) -> Group | PagedGroup:
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
    return PagedGroup(select, id=f"{widget_id}s", width=width, height=height)


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
    """Explain what was wrong in the user's language; the same question is shown again below
    (a long window is not copied: bot/kit/resume.py)."""
    values = {key: _display(value) for key, value in error.values.items()}
    await message.answer("⚠️ " + gettext(error.msgid).format_map(values))
    await show_again(message, manager)


async def _unexpected_input(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    if message.text and not message.text.startswith("/"):
        # Text where buttons are expected is most often a question ("is there a hotel?"): it is
        # answered, and the questions feature says how the dialogue goes on (bot/kit/resume.py).
        await services_of(manager).answer_question(message, manager, in_dialogue=True)
    else:
        text = gettext("I can only read text here. Please type your answer or use the buttons.")
        await message.answer("⚠️ " + text)
        await show_again(message, manager)


# Last input of every window: anything the window does not expect gets an explanation.
UNEXPECTED_INPUT = MessageInput(_unexpected_input)
