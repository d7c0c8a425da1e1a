"""The HTTP session the bot talks to the Bot API with: aiogram's, minus two costly steps."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.methods import TelegramMethod
from aiogram.types import InputFile
from aiohttp import BytesPayload, FormData


class BotApiSession(AiohttpSession):
    """aiogram's aiohttp session, sending JSON bodies and keeping its response models alive.

    Requests: aiogram sends every request as a form, its nested objects (keyboards) as JSON
    strings that urllib then percent-encodes in Python, byte by byte: 2.6 ms for the language
    picker's keyboard. The Bot API takes `application/json` for any request without a file, so
    those go as one `json.dumps`; requests with files stay multipart, as aiogram builds them.

    Answers: aiogram reads every answer with `Response[<the method's result type>]`. pydantic
    keeps such parametrised models in a WeakValueDictionary, so once the garbage collector has
    freed one, the next request builds it again (schema and validator: 1 to 10 ms). Under load
    that was a sixth of the bot's CPU (bench/dialogue.py); held here, each is built once.
    """

    _response_models: ClassVar[dict[type, Any]] = {}

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        files: dict[str, InputFile] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            # Nested values as objects, not JSON strings (aiogram's own switch for its recursion).
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":  # what aiogram leaves out of its forms
                params[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
        return BytesPayload(body, content_type="application/json")  # type: ignore[return-value]

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        kind = type(method)
        if kind not in self._response_models:
            self._response_models[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return super().check_response(bot, method, status_code, content)
