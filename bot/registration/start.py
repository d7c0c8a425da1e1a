"""/start (with deep-link payloads), /me, /language, /help, and what falls outside any dialogue."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.core.i18n import gettext as _
from bot.kit.filters import PRIVATE_CHAT, Inline
from bot.kit.start_links import StartLinks
from bot.questions.handlers import answer_question
from bot.registration.form_dialog import begin_registration
from bot.registration.service import RegistrationService
from bot.states import LanguageSG, MyRegistrationSG


async def show_home(message: Message, manager: DialogManager, registrations: RegistrationService) -> None:
    """Where the user stands: their registration, the question they were at, or a new one."""
    if await registrations.get_active(message.chat.id) is not None:
        await manager.start(MyRegistrationSG.view, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    elif manager.has_context():
        await manager.show(ShowMode.SEND)
    else:
        await begin_registration(message, manager)


async def answer_invalid_link(message: Message, manager: DialogManager) -> None:
    """What any unknown, expired or not-for-you deep link gets: nothing about what it was."""
    await message.answer(_("This link is not valid or has expired. Here is where you are:"))
    await show_home(message, manager, manager.middleware_data["registrations"])


def commands_router() -> Router:
    router = Router(name="delegate-commands")
    router.message.filter(PRIVATE_CHAT)

    @router.message(CommandStart())
    async def start(
        message: Message,
        command: CommandObject,
        dialog_manager: DialogManager,
        registrations: RegistrationService,
        start_links: StartLinks,
    ) -> None:
        if command.args:
            found = start_links.handler_for(command.args)
            if found is not None:
                handler, value = found
                await handler(message, value, dialog_manager)
                return
            await answer_invalid_link(message, dialog_manager)
            return
        await show_home(message, dialog_manager, registrations)

    @router.message(Command("me"))
    async def me(message: Message, dialog_manager: DialogManager, registrations: RegistrationService) -> None:
        registered = await registrations.get_active(message.from_user.id) is not None
        if not registered and dialog_manager.has_context():
            await message.answer(_("You have not finished registering yet. Here is where you were:"))
            await dialog_manager.show(ShowMode.SEND)
            return
        await dialog_manager.start(MyRegistrationSG.view, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)

    @router.message(Command("language"))
    async def language(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(LanguageSG.pick, show_mode=ShowMode.SEND)

    @router.message(Command("help"))
    async def help_(message: Message, dialog_manager: DialogManager) -> None:
        await message.answer(help_text())
        if dialog_manager.has_context():
            await dialog_manager.show(ShowMode.SEND)

    @router.message(Inline(F.text.startswith("/")))
    async def unknown_command(message: Message, dialog_manager: DialogManager) -> None:
        await message.answer(_("I do not know this command.") + "\n\n" + help_text())
        if dialog_manager.has_context():
            await dialog_manager.show(ShowMode.SEND)

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


def fallback_router() -> Router:
    """Messages when no dialogue is open."""
    router = Router(name="fallback")
    router.message.filter(PRIVATE_CHAT)

    @router.message()
    async def outside_dialogue(message: Message, **data: Any) -> None:
        if message.text:
            await answer_question(message, data)  # a question, in any language
            return
        await message.answer(_("I did not understand that.") + "\n\n" + help_text())

    @router.callback_query()
    async def unknown_button(callback: CallbackQuery) -> None:
        """A button nothing handles (forged, someone else's, or of a closed dialogue): an answer
        stops the client's spinner, and it is the same whatever the button was."""
        await callback.answer(_("This button is no longer active."))

    return router
