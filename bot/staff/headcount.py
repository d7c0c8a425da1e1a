"""/headcount: the counts as text pages, then the same counts as one chart."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.core.event import Event
from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.kit.charts import Panel, bar_charts_png, can_draw, panel_texts
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.staff.headcount_service import Headcount
from bot.staff.views import chart_titles, headcount_panels, headcount_sections, pack

# One matplotlib drawing at a time in the process, whichever dispatcher asks: matplotlib keeps
# process-wide state and is not meant to draw from several threads at once.
_DRAWING = threading.Lock()


async def show_headcount(message: Message, services: Services) -> None:
    await services.staff.audit(message.from_user.id, "headcount")
    counts = await services.headcounts.count()
    event, language = services.event, current_language()
    now = services.clock.now()
    for text in pack(headcount_sections(counts, event, language, now)):
        await message.answer(text)
    chart = _chart(counts, event, language, now)
    if not can_draw(panel_texts(*chart)):
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            chart = _chart(counts, event, DEFAULT_LANGUAGE, now)
    png = await asyncio.to_thread(_draw, *chart)
    await message.answer_photo(BufferedInputFile(png, filename="headcount.png"))


def _chart(counts: Headcount, event: Event, language: str, now: datetime) -> tuple[str, list[Panel], str]:
    """The chart's title, panels and subtitle, in `language`."""
    title, subtitle = chart_titles(event, language, now)
    return title, headcount_panels(counts, event, language), subtitle


def _draw(title: str, panels: list[Panel], subtitle: str) -> bytes:
    with _DRAWING:
        return bar_charts_png(title, panels, subtitle)


def headcount_router() -> Router:
    """Included in the staff router (bot/staff/commands.py), which lets staff only through."""
    router = Router(name="staff-headcount")
    router.message.register(show_headcount, PRIVATE_CHAT, Command("headcount"))
    return router
