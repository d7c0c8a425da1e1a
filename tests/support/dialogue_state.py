"""Where a user's open dialogue stands, read from the dialogue storage."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from tests.support.chat import Chat


async def current_state(chat: Chat) -> str | None:
    """The state of the user's open dialogue (`RegistrationSG:gender`), None without one."""
    storage, bot_id = chat.dp.storage, chat.bot.id

    def key(destiny: str) -> StorageKey:
        return StorageKey(bot_id=bot_id, chat_id=chat.user_id, user_id=chat.user_id, destiny=destiny)

    stack = await storage.get_data(key("aiogd:stack:"))
    if not stack.get("intents"):
        return None
    context = await storage.get_data(key(f"aiogd:context:{stack['intents'][-1]}"))
    return context.get("state")
