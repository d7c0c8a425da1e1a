"""The third baseline: a bare python-telegram-bot (PTB 21/22) bot, the stack not chosen.

The registration as a `ConversationHandler`, in memory: one state per question ("Question N"
with a "Next" button); every answer, typed or tapped, shows the next question the way the
registration and bench/dialog_bot.py do (a tap edits the message, then the callback query is
answered; a typed answer takes the keyboard off the previous question and gets a new message).
The same Bot API requests per step as the bare aiogram-dialog bot, so the two compare the
frameworks: PTB's Updater, Application and telegram.* objects over httpx against aiogram's
Dispatcher, aiogram-dialog and pydantic models over aiohttp.

Updates of different users run concurrently, those of one user one after another (a lock per
user), as aiogram-dialog does with its stack lock: PTB's default would run every update of the
bot one after another, and its concurrent mode alone lets a user's next answer race the state
of the previous one in the ConversationHandler.

HTTP connections: at most 100 at once (PTB_POOL in the environment to change it), the limit of
aiohttp's connector in aiogram's session; PTB's own default is 256. httpcore, under httpx, looks
at every connection of its pool for every request: with 100 delegates at once its CPU per update
was 6.3 ms at 256, 4.7 at 100, 3.9 at 20 (2 cores, busy). And httpcore 1.0.9
tries `import sniffio` on every request when sniffio is not installed (anyio >= 4.11 no longer
brings it; encode/httpcore#1103; 7.1 ms at 256 without it): the `bench` extra installs it.

Needs the `bench` extra (`pip install -e '.[bench]'`: python-telegram-bot 21 or 22, sniffio).
`python bench/ptb_bot.py` with BOT_TOKEN and TELEGRAM_API_BASE in the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Awaitable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import NetworkError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

# At least the questions the registration shows (bench/dialogue.py: STEPS_PER_DELEGATE); an
# answer beyond them ends the conversation.
QUESTIONS = 20
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="next")]])
LAST_MESSAGE = "last_message_id"


def question(number: int) -> str:
    return f"Question {number}"


async def _show_new(update: Update, context: ContextTypes.DEFAULT_TYPE, number: int) -> None:
    """A new message with the question; the previous question's keyboard taken off first."""
    chat_id = update.effective_chat.id
    user_data = context.user_data
    old = user_data.get(LAST_MESSAGE)
    if old is not None:
        await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=old)
    sent = await context.bot.send_message(chat_id, question(number), reply_markup=KEYBOARD)
    user_data[LAST_MESSAGE] = sent.message_id


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _show_new(update, context, 1)
    return 1


def typed(state: int):
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await _show_new(update, context, state + 1)
        return state + 1 if state + 1 <= QUESTIONS else ConversationHandler.END

    return handler


def tapped(state: int):
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        await query.edit_message_text(question(state + 1), reply_markup=KEYBOARD)
        await query.answer()
        return state + 1 if state + 1 <= QUESTIONS else ConversationHandler.END

    return handler


class PerUserProcessor(BaseUpdateProcessor):
    """Concurrent across users, in order within one user's updates."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=10_000)
        self._locks: dict[int | None, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        key = user.id if user else None
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()  # kept: a bench runs for minutes
        async with lock:
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class RetryOnceRequest(HTTPXRequest):
    """A kept-alive connection the server has just closed fails the request: sent again once,
    as bench/dialog_bot.py does for aiohttp."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            return await super().do_request(*args, **kwargs)
        except NetworkError:
            return await super().do_request(*args, **kwargs)


def build() -> Application:
    base = os.environ["TELEGRAM_API_BASE"]
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            state: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, typed(state)),
                CallbackQueryHandler(tapped(state), pattern="^next$"),
            ]
            for state in range(1, QUESTIONS + 1)
        },
        fallbacks=[CommandHandler("start", start)],
    )
    application = (
        Application.builder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .request(RetryOnceRequest(connection_pool_size=int(os.environ.get("PTB_POOL", "100"))))
        .concurrent_updates(PerUserProcessor())
        .build()
    )
    application.add_handler(conversation)
    return application


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    # per_message=False with a CallbackQueryHandler: the state is per user, as intended here.
    warnings.filterwarnings("ignore", category=PTBUserWarning)
    build().run_polling(allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main()
