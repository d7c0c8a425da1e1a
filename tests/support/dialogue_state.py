"""Where a user's open dialogue stands, read from the dialogue storage."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import StorageKey

from tests.support.chat import Chat


async def open_context(chat: Chat) -> dict[str, Any] | None:
    """The stored context of the user's open dialogue (its state, dialogue data...), None without one."""
    storage, bot_id = chat.dp.storage, chat.bot.id

    def key(destiny: str) -> StorageKey:
        return StorageKey(bot_id=bot_id, chat_id=chat.user_id, user_id=chat.user_id, destiny=destiny)

    stack = await storage.get_data(key("aiogd:stack:"))
    if not stack.get("intents"):
        return None
    return await storage.get_data(key(f"aiogd:context:{stack['intents'][-1]}"))


async def current_state(chat: Chat) -> str | None:
    """The state of the user's open dialogue (`RegistrationSG:text`), None without one."""
    context = await open_context(chat)
    return context.get("state") if context is not None else None
