"""The bot's Bot API session (bot/runtime/api_session.py): JSON request bodies, response models kept alive."""

import gc
import json
import weakref

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import Response
from aiogram.methods import EditMessageText, GetUpdates, SendMessage, SendPhoto
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import FormData

from bot.runtime.api_session import BotApiSession

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


def test_requests_without_files_go_as_one_json_body():
    session = BotApiSession()
    bot = Bot("42:TEST", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Tiếng Việt", callback_data="l:vi")]]
    )
    payload = session.build_form_data(
        bot, SendMessage(chat_id=7, text="<b>Xin chào</b>", reply_markup=keyboard)
    )
    assert payload.content_type == "application/json"
    assert json.loads(payload._value) == {
        "chat_id": 7,
        "text": "<b>Xin chào</b>",
        "parse_mode": "HTML",  # the bot's default, resolved
        "reply_markup": {"inline_keyboard": [[{"text": "Tiếng Việt", "callback_data": "l:vi"}]]},
    }
    # Zero and false are values, not absences.
    payload = session.build_form_data(bot, GetUpdates(offset=0, timeout=0))
    assert json.loads(payload._value) == {"offset": 0, "timeout": 0}


def test_requests_with_files_stay_multipart():
    session = BotApiSession()
    bot = Bot("42:TEST", session=session)
    form = session.build_form_data(bot, SendPhoto(chat_id=7, photo=BufferedInputFile(b"\x89PNG", "t.png")))
    assert isinstance(form, FormData)
    assert "multipart/form-data" in form().content_type
