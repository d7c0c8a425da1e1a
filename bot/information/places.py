"""A place of the event file (the venue, the hotel) shown on the map in the chat.

The questions feature shows the venue below a typed question's answer too: it gets this function
from the wiring (`Services.send_location`), not by importing it.
"""

from __future__ import annotations

from aiogram import Bot

from bot.core.event import Place, localized


async def send_location(bot: Bot, chat_id: int, place: Place | None, language: str) -> bool:
    """The place as a Telegram venue (a map pin with its name); False when it has no coordinates."""
    if place is None or not place.has_location:
        return False
    name = localized(place.name, language)
    await bot.send_venue(
        chat_id,
        latitude=place.latitude,
        longitude=place.longitude,
        title=name[:100],
        address=(localized(place.address, language) or name)[:100],
    )
    return True
