"""The HTTP session the bot talks to the Bot API with: aiogram's, minus a costly rebuild."""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.methods import TelegramMethod


class BotApiSession(AiohttpSession):
    """aiogram's aiohttp session, keeping alive the models it validates answers with.

    aiogram reads every answer with `Response[<the method's result type>]`. pydantic keeps such
    parametrised models in a WeakValueDictionary, so once the garbage collector has freed one,
    the next request builds it again (schema and validator: 1 to 10 ms). Under load that was a
    sixth of the bot's CPU (bench/dialogue.py); held here, each is built once per process.
    """

    _response_models: ClassVar[dict[type, Any]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        kind = type(method)
        if kind not in self._response_models:
            self._response_models[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return super().check_response(bot, method, status_code, content)
