"""/find: delegates by part of a name, a registration code or an email; each result opens a card."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.core.i18n import fmt_number, get_i18n
from bot.core.i18n import gettext as _
from bot.core.labels import STATUSES, flag, label
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services
from bot.staff.checkin import CardCB
from bot.staff.find_service import QUERY_MAX


async def find_delegates(message: Message, command: CommandObject, services: Services) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _("Type /find and part of a name, a registration code or an email, e.g. /find reyes")
        )
        return
    result = await services.search.find(query)
    await services.staff.audit(message.from_user.id, "find", results=result.total)
    if not result.found:
        await message.answer(_("Nobody found for “{query}”.").format(query=escape(query[:QUERY_MAX])))
        return
    keyboard = InlineKeyboardBuilder()
    lines = [_("🔎 Found: {count}").format(count=fmt_number(result.total, get_i18n().current_locale))]
    for number, found in enumerate(result.found, start=1):
        lines.append(
            f"{number}. <b>{escape(found.full_name)}</b> · <code>{found.code}</code> · "
            f"{flag(found.country)} · {escape(label(STATUSES, found.status))}"
        )
        keyboard.button(
            text=f"{number}. {found.full_name[:40]}", callback_data=CardCB(registration_id=found.id)
        )
    if result.total > len(result.found):
        lines.append(
            _("Only the first {shown} are shown: type more of the name.").format(shown=len(result.found))
        )
    keyboard.adjust(1)
    await message.answer("\n".join(lines), reply_markup=keyboard.as_markup())


def find_router() -> Router:
    """Included in the staff router (bot/staff/commands.py), which lets staff only through."""
    router = Router(name="staff-find")
    router.message.register(find_delegates, PRIVATE_CHAT, Command("find"))
    return router
