"""/headcount: the counts as text pages, then the same counts as one chart."""

from __future__ import annotations

import asyncio
import threading

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.core.i18n import gettext as _
from bot.kit.charts import Panel, bar_charts_png, can_draw, panel_texts
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.staff.views import CHART_TITLE, headcount_panels, headcount_sections, pack

# One matplotlib drawing at a time in the process, whichever dispatcher asks: matplotlib keeps
# process-wide state and is not meant to draw from several threads at once.
_DRAWING = threading.Lock()


async def show_headcount(message: Message, services: Services) -> None:
    await services.staff.audit(message.from_user.id, "headcount")
    counts = await services.headcounts.count()
    event, language = services.event, current_language()
    for text in pack(headcount_sections(counts, event, language, services.clock.now())):
        await message.answer(text)
    title, panels = _(CHART_TITLE), headcount_panels(counts, event, language)
    if not can_draw(panel_texts(title, panels)):
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            title, panels = _(CHART_TITLE), headcount_panels(counts, event, DEFAULT_LANGUAGE)
    png = await asyncio.to_thread(_draw, title, panels)
    await message.answer_photo(BufferedInputFile(png, filename="headcount.png"))


def _draw(title: str, panels: list[Panel]) -> bytes:
    with _DRAWING:
        return bar_charts_png(title, panels)


def headcount_router() -> Router:
    """Included in the staff router (bot/staff/commands.py), which lets staff only through."""
    router = Router(name="staff-headcount")
    router.message.register(show_headcount, PRIVATE_CHAT, Command("headcount"))
    return router
