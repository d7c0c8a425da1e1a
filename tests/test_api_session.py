"""The bot's Bot API session keeps aiogram's response models alive (bot/api_session.py)."""

import gc
import json
import weakref

from aiogram import Bot
from aiogram.client.session.base import Response
from aiogram.methods import EditMessageText, SendMessage

from bot.api_session import BotApiSession

SENT = json.dumps({"ok": True, "result": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}})


async def test_response_models_survive_garbage_collection():
    session = BotApiSession()
    bot = Bot("42:TEST", session=session)
    try:
        for method in (
            SendMessage(chat_id=7, text="hi"),
            EditMessageText(chat_id=7, message_id=1, text="hi"),
        ):
            response = session.check_response(bot, method, 200, SENT)
            assert response.ok and response.result.message_id == 1
            model = weakref.ref(Response[method.__returning__])
            del response
            gc.collect()
            # Without the session holding it, pydantic's weak cache lets it go: rebuilt next time.
            assert model() is not None and Response[method.__returning__] is model()
    finally:
        await session.close()
