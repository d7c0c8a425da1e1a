"""A delegate chatting with the real bot: updates go to the real dispatcher, the bot's requests to
the fake Bot API server, where they are checked against the spec and kept per chat."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram_dialog.utils import CB_SEP
from PIL import Image
from zxingcpp import read_barcode

from tests.support.fake_telegram import FakeTelegram, StoredMessage


def scan_ticket(fake: FakeTelegram) -> str:
    """What a phone camera reads from the QR code of the last ticket the bot sent."""
    png = next(iter(fake.calls_of("sendPhoto")[-1].files.values()))
    code = read_barcode(Image.open(io.BytesIO(png)))
    assert code is not None and code.valid, "the ticket's QR code cannot be read"
    return code.text


def widget_button(fake: FakeTelegram, user_id: int, widget_data: str) -> tuple[int, str] | None:
    """The message id and callback data of a dialogue widget's button (`agree`, `g:woman`) in the
    newest message with buttons of the chat; None when it has no such button."""
    message = next(
        (m for m in reversed(fake.chat(user_id)) if m.from_bot and not m.deleted and m.inline_keyboard), None
    )
    for row in message.inline_keyboard if message else []:
        for button in row:
            if button.get("callback_data", "").split(CB_SEP, 1)[-1] == widget_data:
                return message.message_id, button["callback_data"]
    return None


@dataclass
class Chat:
    fake: FakeTelegram
    dp: Dispatcher
    bot: Bot
    user_id: int

    async def feed(self, raw: dict[str, Any]) -> None:
        await self.dp.feed_update(self.bot, Update.model_validate(raw, context={"bot": self.bot}))

    async def send(self, text: str) -> None:
        await self.feed(self.fake.message_update(self.user_id, text))

    async def press(self, button_text: str) -> None:
        message, data = self.fake._find_button(self.user_id, button_text)
        await self.feed(self.fake.callback_update(self.user_id, message.message_id, data))

    async def tap(self, widget_data: str) -> None:
        """Press the button of a widget by its data (`agree`, `g:woman`), whatever the language."""
        button = widget_button(self.fake, self.user_id, widget_data)
        assert button, f"no button {widget_data!r}; buttons: {self.button_data()}"
        await self.feed(self.fake.callback_update(self.user_id, *button))

    def button_data(self) -> list[str]:
        return [
            b.get("callback_data", "").split(CB_SEP, 1)[-1] for row in self.last.inline_keyboard for b in row
        ]

    async def press_data(self, message_id: int, data: str) -> None:
        """A press with any callback data, as a forged or stale client would send it."""
        await self.feed(self.fake.callback_update(self.user_id, message_id, data, check_button=False))

    async def share_contact(self, phone: str) -> None:
        await self.feed(self.fake.contact_update(self.user_id, phone))

    async def send_sticker(self) -> None:
        await self.feed(self.fake.sticker_update(self.user_id))

    async def send_photo(self) -> None:
        await self.feed(self.fake.photo_update(self.user_id))

    @property
    def last(self) -> StoredMessage:
        message = self.fake.last_message(self.user_id)
        assert message is not None, "the bot sent nothing"
        return message

    @property
    def last_text(self) -> str:
        return self.last.text or self.last.caption or ""

    def texts_since(self, count: int) -> list[str]:
        """Texts of the bot's messages after the first `count` messages of the chat."""
        return [m.text or m.caption or "" for m in self.fake.chat(self.user_id)[count:] if m.from_bot]

    @property
    def size(self) -> int:
        return len(self.fake.chat(self.user_id))

    def buttons(self) -> list[str]:
        return [button["text"] for row in self.last.inline_keyboard for button in row]


def keyboards(chat: Chat, user_id: int | None = None) -> list[StoredMessage]:
    """Live bot messages with inline buttons in the chat, newest first."""
    messages = chat.fake.chat(user_id or chat.user_id)
    return [m for m in reversed(messages) if m.from_bot and not m.deleted and m.inline_keyboard]


def buttons_of(message: StoredMessage) -> list[str]:
    return [b["callback_data"] for row in message.inline_keyboard for b in row if "callback_data" in b]
