"""Back to the open dialogue after something else was answered, without sending its window again.

A command (/privacy, /programme…) or a typed question answered in the middle of a dialogue used to
send the whole window again below the answer: an 18-line /me card each time, the answer pushed out
of view. Now one short line says where the delegate was ("↩ Continue: your registration, question 5
of 16"), with a button that brings the window down below it (the window above is deleted, not
copied). One such line is live at a time: offering a new one deletes the previous one.

What "where you are" reads is named per dialogue with `name_place` (bot/states.py, or a feature
when the place depends on the dialogue's data).
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager, ShowMode

from bot.core.i18n import gettext as _
from bot.kit.filters import PRIVATE_CHAT_BUTTON

# More text lines than this and a window is not sent again after a wrong answer: the continue
# line is offered instead (a question's window is shorter; a registration card is longer).
LONG_WINDOW_LINES = 5

# The message id of the live continue line, in the chat's own record (aiogram's FSM data): it
# outlives the dialogue it was offered in (a /faq replaced by /info).
_LINE_KEY = "continue_line"
# The message id of a dialogue's window while another dialogue is sent over it, in its context.
_WINDOW_KEY = "↩window"

Place = Callable[[DialogManager], str]
_places: dict[type[StatesGroup], Place] = {}


class Resume(CallbackData, prefix="resume"):
    pass


def name_place(group: type[StatesGroup], place: str | Place) -> None:
    """What the continue line calls the dialogue of `group`: a msgid (marked with `N_`), or a
    function of the manager that returns the translated text."""
    _places[group] = place if callable(place) else lambda _manager: _(place)


def place_of(manager: DialogManager) -> str:
    place = _places.get(manager.current_context().state.group)
    return place(manager) if place is not None else _("where you were")


async def offer_to_continue(message: Message, manager: DialogManager) -> None:
    """Below an answer given in the middle of a dialogue: the continue line, and the window is not
    sent again. Nothing when no dialogue is open."""
    if not manager.has_context():
        return
    manager.show_mode = ShowMode.NO_UPDATE
    await _delete_line(manager)
    button = InlineKeyboardButton(text=_("↩ Continue"), callback_data=Resume().pack())
    line = await message.answer(
        _("↩ Continue: {place}").format(place=place_of(manager)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )
    await _chat_record(manager).update_data({_LINE_KEY: line.message_id})


async def show_again(message: Message, manager: DialogManager) -> None:
    """After a wrong answer: the same question again below the explanation when its window is short
    (its copy above deleted: one question in the chat, not two); a long window (a registration
    card) is not moved, the continue line is offered instead."""
    if await _is_long(manager):
        await offer_to_continue(message, manager)
    else:
        manager.show_mode = ShowMode.DELETE_AND_SEND


async def _is_long(manager: DialogManager) -> bool:
    rendered = await manager.dialog().render(manager)
    return len((rendered.text or "").splitlines()) > LONG_WINDOW_LINES


async def bring_back(manager: DialogManager) -> None:
    """Show the open window at the bottom of the chat: its copy above is deleted, not kept twice."""
    await _delete_line(manager)
    await manager.show(ShowMode.DELETE_AND_SEND)


def remember_window(manager: DialogManager) -> None:
    """Before another dialogue is sent over the open one (in the same stack, which keeps one
    message id): where the open one's window is."""
    manager.current_context().widget_data[_WINDOW_KEY] = manager.current_stack().last_message_id


async def uncover_window(closed: Message, manager: DialogManager) -> None:
    """Once the message sent over the open dialogue is closed (`closed`, deleted by the caller):
    the open dialogue's window gets its buttons back where it is when it is just above (only the
    command that opened the other between them); otherwise the continue line is offered."""
    window = manager.current_context().widget_data.pop(_WINDOW_KEY, None)
    if window is not None:
        # The stack's message again: shown later, that copy is replaced, not left above.
        manager.current_stack().last_message_id = window
        if await _just_above(closed, window, manager) and await _give_buttons_back(
            closed.bot, window, manager
        ):
            manager.show_mode = ShowMode.NO_UPDATE
            return
    if await _is_long(manager):
        await offer_to_continue(closed, manager)
        return
    await _move_down(manager, window)


async def move_window_down(manager: DialogManager) -> None:
    """Once the dialogue sent over the open one is done: the open one's window comes below, its
    copy above (`remember_window`) deleted. For a window that must be drawn again (in the language
    just chosen), whatever its length."""
    await _move_down(manager, manager.current_context().widget_data.pop(_WINDOW_KEY, None))


async def _move_down(manager: DialogManager, window: int | None) -> None:
    # The dialogue closed above left NO_UPDATE, which `show` would obey: shown once, here.
    await delete_message(manager, window)
    await _delete_line(manager)
    manager.show_mode = ShowMode.SEND
    await manager.show()
    manager.show_mode = ShowMode.NO_UPDATE


async def _just_above(closed: Message, window: int, manager: DialogManager) -> bool:
    """Whether only the command that opened the closed message is between it and the window
    (message ids of a private chat count both sides' messages), and nothing was answered below
    it (a continue line would be there)."""
    line = (await _chat_record(manager).get_data()).get(_LINE_KEY)
    return closed.message_id - window <= 2 and (line is None or line < closed.message_id)


async def _give_buttons_back(bot: Bot, window: int, manager: DialogManager) -> bool:
    rendered = await manager.dialog().render(manager)
    if not isinstance(rendered.reply_markup, InlineKeyboardMarkup):
        return False  # a reply keyboard cannot be put back on a sent message
    try:
        await bot.edit_message_reply_markup(
            chat_id=rendered.chat.id, message_id=window, reply_markup=rendered.reply_markup
        )
    except TelegramAPIError:
        return False  # too old to edit
    return True


def _chat_record(manager: DialogManager) -> FSMContext:
    return manager.middleware_data["state"]


async def _take_line(manager: DialogManager) -> int | None:
    """The live continue line's message id, no longer recorded."""
    record = _chat_record(manager)
    data = await record.get_data()
    line = data.pop(_LINE_KEY, None)
    if line is not None:
        await record.set_data(data)
    return line


async def _delete_line(manager: DialogManager) -> None:
    await delete_message(manager, await _take_line(manager))


async def delete_message(manager: DialogManager, message_id: int | None) -> None:
    """A message of the chat deleted, if there is one and Telegram still lets it be."""
    if message_id is None:
        return
    try:
        await manager.middleware_data["bot"].delete_message(
            manager.middleware_data["event_chat"].id, message_id
        )
    except TelegramAPIError:
        pass  # already gone, or too old to delete: an extra copy stays, harmless


async def continue_dialogue(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """The continue line's button: the line and the window above go, the window comes back below."""
    await callback.answer()
    if not dialog_manager.has_context():
        await _delete_line(dialog_manager)
        return
    await _take_line(dialog_manager)  # this button's message: deleted as the window is sent
    await delete_message(dialog_manager, dialog_manager.current_stack().last_message_id)
    await dialog_manager.show(ShowMode.DELETE_AND_SEND)


def resume_router() -> Router:
    router = Router(name="resume")
    router.callback_query.filter(PRIVATE_CHAT_BUTTON)
    router.callback_query.register(continue_dialogue, Resume.filter())
    return router
