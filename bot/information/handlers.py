"""/programme, /info, /venue and /faq: open the browsing dialogues (bot/information/dialogs.py)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager

from bot.core.event import Event, Topic
from bot.information.dialogs import open_browsing
from bot.kit.filters import PRIVATE_CHAT
from bot.questions.handlers import send_location
from bot.states import FaqSG, InfoSG, ProgrammeSG


def info_router() -> Router:
    router = Router(name="info-commands")
    router.message.filter(PRIVATE_CHAT)

    @router.message(Command("programme", "program", "agenda"))
    async def programme(message: Message, dialog_manager: DialogManager) -> None:
        await open_browsing(dialog_manager, ProgrammeSG.days)

    @router.message(Command("info"))
    async def info(message: Message, dialog_manager: DialogManager) -> None:
        await open_browsing(dialog_manager, InfoSG.menu)

    @router.message(Command("venue"))
    async def venue(
        message: Message, dialog_manager: DialogManager, conference: Event, language: str
    ) -> None:
        # The map pin first when the coordinates are known; the address and details below it.
        await send_location(message.bot, message.chat.id, conference.venue, language)
        await open_browsing(dialog_manager, InfoSG.topic, data={"topic": Topic.VENUE.value})

    @router.message(Command("faq"))
    async def faq(message: Message, dialog_manager: DialogManager) -> None:
        await open_browsing(dialog_manager, FaqSG.list)

    return router
