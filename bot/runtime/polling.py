"""Long polling: the bot asks Telegram (or the local emulator) for updates."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)


async def poll(dp: Dispatcher, bot: Bot, api_base: str, event_id: str) -> None:
    log.info("polling %s for event %s", api_base, event_id)
    # Pending updates are kept (no drop_pending_updates): they are what delegates sent while the
    # bot was down.
    await dp.start_polling(bot, handle_signals=True)
