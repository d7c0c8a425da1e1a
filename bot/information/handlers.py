"""/programme, /info, /venue and /faq: open the browsing dialogues (bot/information/dialogs.py)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager

from bot.core.event import Topic
from bot.information.dialogs import open_browsing
from bot.information.places import send_location
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services
from bot.states import FaqSG, InfoSG, ProgrammeSG


async def open_programme(message: Message, dialog_manager: DialogManager) -> None:
    await open_browsing(dialog_manager, ProgrammeSG.days)


async def open_info(message: Message, dialog_manager: DialogManager) -> None:
    await open_browsing(dialog_manager, InfoSG.menu)


async def open_venue(
    message: Message, dialog_manager: DialogManager, services: Services, language: str
) -> None:
    # The map pin first when the coordinates are known; the address and details below it.
    await send_location(message.bot, message.chat.id, services.event.venue, language)
    await open_browsing(dialog_manager, InfoSG.topic, data={"topic": Topic.VENUE.value})


async def open_faq(message: Message, dialog_manager: DialogManager) -> None:
    await open_browsing(dialog_manager, FaqSG.list)


def info_router() -> Router:
    router = Router(name="info-commands")
    router.message.filter(PRIVATE_CHAT)
    router.message.register(open_programme, Command("programme", "program", "agenda"))
    router.message.register(open_info, Command("info"))
    router.message.register(open_venue, Command("venue"))
    router.message.register(open_faq, Command("faq"))
    return router
