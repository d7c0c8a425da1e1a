"""/export: every registration as an XLSX or CSV file, sent in the private chat; with passport
numbers for admins only, on their explicit request. Every export is audited."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from contextlib import suppress
from html import escape
from pathlib import Path

from aiogram import Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from cryptography.fernet import InvalidToken

from bot.core.crypto import PassportCipher
from bot.core.i18n import gettext as _
from bot.core.i18n import ngettext
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.staff.export_service import ExportFormat

log = logging.getLogger(__name__)


class ExportCB(CallbackData, prefix="sexport"):
    format: ExportFormat
    passports: bool = False


async def export_by_command(message: Message, command: CommandObject, services: Services) -> None:
    """`/export xlsx|csv|passports` sends that file; `/export` alone asks which."""
    is_admin = services.staff.is_admin(message.from_user.id)
    wanted = (command.args or "").strip().lower()
    if wanted == "passports" and not is_admin:
        await message.answer(_("Only organisers with full rights can export passport numbers."))
        return
    if wanted in ("xlsx", "csv", "passports"):
        export_format = ExportFormat.CSV if wanted == "csv" else ExportFormat.XLSX
        await _export(message, message.from_user.id, export_format, wanted == "passports", services)
        return
    rows = [
        [
            _button(_("📊 Excel (XLSX)"), ExportCB(format=ExportFormat.XLSX)),
            _button(_("📄 CSV"), ExportCB(format=ExportFormat.CSV)),
        ]
    ]
    if is_admin:
        rows.append(
            [_button(_("🛂 XLSX with passport numbers"), ExportCB(format=ExportFormat.XLSX, passports=True))]
        )
    await message.answer(
        _("Which file? Exports are sent here, in our private chat."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def export_chosen(callback: CallbackQuery, callback_data: ExportCB, services: Services) -> None:
    if callback_data.passports and not services.staff.is_admin(callback.from_user.id):
        await callback.answer(_("Only organisers with full rights can export passport numbers."))
        return
    if callback.message is None or callback.message.chat.type != "private":
        await callback.answer()
        return
    await callback.answer()
    question = callback.message
    if await _export(
        question, callback.from_user.id, callback_data.format, callback_data.passports, services
    ):
        # Answered: the question's buttons go with the file. Editing fails when they are gone
        # already (a second press that waited its turn) or the question is too old to edit.
        with suppress(TelegramBadRequest):
            await callback.bot.edit_message_reply_markup(
                chat_id=question.chat.id, message_id=question.message_id, reply_markup=None
            )


def _button(text: str, callback_data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback_data.pack())


async def _export(
    message: Message, actor_id: int, export_format: ExportFormat, passports: bool, services: Services
) -> bool:
    """Sends the file; False when this person's export was already under way (nothing sent)."""
    under_way = services.exports.under_way
    if not under_way.begin(actor_id):
        await message.answer(_("Your export is being prepared: it will arrive in a moment."))
        return False
    try:
        await _send_export(message, actor_id, export_format, passports, services)
    finally:
        under_way.end(actor_id)
    return True


async def _send_export(
    message: Message, actor_id: int, export_format: ExportFormat, passports: bool, services: Services
) -> None:
    event = services.event
    progress = await message.answer(_("⏳ Preparing the file…"))
    await message.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    reveal = _revealer(services.passports) if passports else None
    stamp = services.clock.now().astimezone(event.tz).strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path = Path(folder) / f"registrations-{event.id}-{stamp}.{export_format}"
        rows = await services.exports.write(path, export_format, current_language(), reveal)
        await services.staff.audit(
            actor_id, "export", None, format=str(export_format), rows=rows, passports=passports
        )
        caption = ngettext("{rows} registration, {event}.", "{rows} registrations, {event}.", rows).format(
            rows=rows, event=escape(event.id)
        )
        if passports:
            caption += "\n" + _("🛂 Contains passport numbers: keep it safe and delete it when done.")
        await message.answer_document(FSInputFile(path), caption=caption)
    await progress.delete()


def _revealer(cipher: PassportCipher) -> Callable[[str], str]:
    def reveal(token: str) -> str:
        try:
            return cipher.decrypt(token)
        except InvalidToken:
            log.warning("a passport number in the export cannot be decrypted: was a key removed?")
            return "?"

    return reveal


def export_router() -> Router:
    """Included in the staff router (bot/staff/commands.py), which lets staff only through."""
    router = Router(name="staff-export")
    router.message.register(export_by_command, PRIVATE_CHAT, Command("export"))
    router.callback_query.register(export_chosen, ExportCB.filter())
    return router
