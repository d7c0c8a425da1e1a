"""The second baseline: a bare aiogram-dialog bot, the decided stack's floor.

One dialogue window asking "Question N" with a button, in memory: every answer, typed or
tapped, shows the next question the way the registration does (a tap edits the message, a typed
answer gets a new one). No database, no middleware of the bot's, no i18n: what aiogram and
aiogram-dialog cost on their own for a registration-like update.
`python bench/dialog_bot.py` with BOT_TOKEN and TELEGRAM_API_BASE in the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.filters import CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Const, Format


class Questions(StatesGroup):
    ask = State()


async def _question(dialog_manager: DialogManager, **_: Any) -> dict[str, int]:
    return {"number": dialog_manager.dialog_data.get("number", 1)}


async def _next(manager: DialogManager) -> None:
    manager.dialog_data["number"] = manager.dialog_data.get("number", 1) + 1


async def _typed(_message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    await _next(manager)


async def _tapped(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await _next(manager)


async def _retry_once(make_request: Any, bot: Bot, method: Any) -> Any:
    """A kept-alive connection the server has just closed fails the request (aiohttp's
    ServerDisconnectedError): sent again once, as any bot in service would."""
    try:
        return await make_request(bot, method)
    except TelegramNetworkError:
        return await make_request(bot, method)


def build() -> tuple[Bot, Dispatcher]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    session.middleware(_retry_once)
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher(storage=MemoryStorage())  # keyed by destiny, as aiogram-dialog needs
    dp.include_router(
        Dialog(
            Window(
                Format("Question {number}"),
                Button(Const("Next"), id="next", on_click=_tapped),
                MessageInput(_typed),
                state=Questions.ask,
                getter=_question,
            )
        )
    )

    @dp.message(CommandStart())
    async def start(_message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(Questions.ask, mode=StartMode.RESET_STACK)

    setup_dialogs(dp)
    return bot, dp


async def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    bot, dp = build()
    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
