"""/start (with deep-link payloads), /me, /language, /help, and what falls outside any dialogue."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.core.answers import answers_of
from bot.core.i18n import gettext as _
from bot.core.models import Registration
from bot.kit.filters import PRIVATE_CHAT, Inline
from bot.kit.menus import command_lines
from bot.kit.resume import bring_back, offer_to_continue, remember_window
from bot.kit.services import Services
from bot.registration.form_dialog import begin_registration, change_registration
from bot.registration.service import changes_open
from bot.runtime.errors import in_user_language
from bot.states import LanguageSG, MyRegistrationSG

log = logging.getLogger(__name__)


async def show_home(message: Message, manager: DialogManager, services: Services) -> None:
    """Where the user stands: their registration (first the questions added to the form since they
    registered), the question they were at, or a new one."""
    registration = await services.registrations.get_active(message.chat.id)
    if registration is not None and await _ask_new_questions(message, manager, services, registration):
        return
    if registration is not None:
        # The card moves to the bottom of the chat: its copy above is deleted.
        await manager.start(
            MyRegistrationSG.view, mode=StartMode.RESET_STACK, show_mode=ShowMode.DELETE_AND_SEND
        )
    elif manager.has_context():
        await bring_back(manager)
    else:
        await begin_registration(message, manager)


async def _ask_new_questions(
    message: Message, manager: DialogManager, services: Services, registration: Registration
) -> bool:
    """A required question added to the form after the delegate registered is asked the next
    time they open the bot, while changes are open."""
    if not changes_open(services.event, services.clock.now()):
        return False
    if not services.event.form.unanswered(answers_of(registration)):
        return False
    await message.answer(_("📝 The organisers added a question to the registration form. Please answer it:"))
    await change_registration(manager, registration, missing=True)
    return True


async def answer_invalid_link(message: Message, manager: DialogManager, services: Services) -> None:
    """What any unknown, expired or not-for-you deep link gets: nothing about what it was."""
    await message.answer(_("This link is not valid or has expired. Here is where you are:"))
    await show_home(message, manager, services)


async def start(
    message: Message, command: CommandObject, dialog_manager: DialogManager, services: Services
) -> None:
    if not command.args:
        await show_home(message, dialog_manager, services)
        return
    # The feature that registered the link's prefix (bot/kit/start_links.py) says if it was valid.
    found = services.start_links.handler_for(command.args)
    if found is not None:
        handler, value = found
        if await handler(message, value, dialog_manager):
            return
    await answer_invalid_link(message, dialog_manager, services)


async def show_registration(message: Message, dialog_manager: DialogManager, services: Services) -> None:
    """/me"""
    registered = await services.registrations.get_active(message.from_user.id) is not None
    if not registered and dialog_manager.has_context():
        await message.answer(_("You have not finished registering yet. Here is where you were:"))
        await bring_back(dialog_manager)
        return
    # The card moves to the bottom of the chat: its copy above is deleted.
    await dialog_manager.start(
        MyRegistrationSG.view, mode=StartMode.RESET_STACK, show_mode=ShowMode.DELETE_AND_SEND
    )


async def pick_language(message: Message, dialog_manager: DialogManager) -> None:
    """/language"""
    if dialog_manager.has_context():
        remember_window(dialog_manager)  # redrawn below in the language chosen (language_dialog)
    await dialog_manager.start(LanguageSG.pick, show_mode=ShowMode.SEND)


async def show_help(
    message: Message, dialog_manager: DialogManager, services: Services, is_staff: bool = False
) -> None:
    """/help: the delegate commands, then those of the person's staff role, if any."""
    text = help_text()
    tools = services.menus.tools_of(message.from_user.id, is_staff)
    if tools:
        text += "\n\n" + _("🛡 <b>Your staff commands</b>") + "\n" + command_lines(tools)
    await message.answer(text)
    await offer_to_continue(message, dialog_manager)


async def answer_unknown_command(message: Message, dialog_manager: DialogManager) -> None:
    await message.answer(_("I do not know this command.") + "\n\n" + help_text())
    await offer_to_continue(message, dialog_manager)


async def show_home_after_stale_button(
    error: ErrorEvent, dialog_manager: DialogManager, services: Services
) -> None:
    """A button from an old message, or from before a restart: say so, show where they are."""
    update = error.update
    log.info("stale dialogue event: %s", type(error.exception).__name__)
    if update.callback_query is not None:
        await update.callback_query.answer(_("This button is no longer active."))
        message = update.callback_query.message
    else:
        message = update.message
    if message is not None:
        await show_home(message, dialog_manager, services)


def commands_router() -> Router:
    router = Router(name="delegate-commands")
    router.message.filter(PRIVATE_CHAT)
    router.message.register(start, CommandStart())
    router.message.register(show_registration, Command("me"))
    router.message.register(pick_language, Command("language"))
    router.message.register(show_help, Command("help"))
    router.message.register(answer_unknown_command, Inline(F.text.startswith("/")))
    # Errors are handled outside the language middleware: the answer speaks the user's language.
    router.errors.middleware(in_user_language)
    router.errors.register(
        show_home_after_stale_button, ExceptionTypeFilter(UnknownIntent, UnknownState, OutdatedIntent)
    )
    return router


def help_text() -> str:
    return _(
        "/start – register, or see where you are\n"
        "/me – your registration: see, change or withdraw it\n"
        "/language – change the language\n"
        "/programme – the programme, and what is on now\n"
        "/info – venue, hotel, airport transfer, visa, documents, contact\n"
        "/venue – where it takes place, on the map\n"
        "/faq – frequently asked questions (or just type your question)\n"
        "/privacy – how your data is used\n"
        "/mydata – everything stored about you\n"
        "/forget – erase your data\n"
        "/help – this list"
    )


async def answer_outside_dialogue(
    message: Message, dialog_manager: DialogManager, services: Services
) -> None:
    if message.text:
        # A question, in any language.
        await services.answer_question(message, dialog_manager, in_dialogue=False)
        return
    await message.answer(_("I did not understand that.") + "\n\n" + help_text())


async def answer_unknown_button(callback: CallbackQuery) -> None:
    """A button nothing handles (forged, someone else's, or of a closed dialogue): an answer
    stops the client's spinner, and it is the same whatever the button was."""
    await callback.answer(_("This button is no longer active."))


def fallback_router() -> Router:
    """Messages when no dialogue is open."""
    router = Router(name="fallback")
    router.message.filter(PRIVATE_CHAT)
    router.message.register(answer_outside_dialogue)
    router.callback_query.register(answer_unknown_button)
    return router
