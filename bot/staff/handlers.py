"""Staff commands: /headcount, /find, /export, /checkin, /invite, /delegations, and /staff (admins).

The router is filtered with StaffOnly and placed before the delegate commands: anyone else falls
through to them, so a staff command gets the unknown-command answer and a forged staff button
gets nothing, exactly like any unknown button. Personal data is shown in private chats only.
Every staff action on personal data is written to the audit log (ids only).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from html import escape
from pathlib import Path

from aiogram import Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_dialog import DialogManager, ShowMode
from cryptography.fernet import InvalidToken

from bot.core.access import StaffService
from bot.core.clock import Clock
from bot.core.crypto import PassportCipher
from bot.core.event import Event
from bot.core.i18n import DEFAULT_LANGUAGE, N_, get_i18n, ngettext
from bot.core.i18n import gettext as _
from bot.core.labels import STATUSES, flag, label
from bot.core.models import Registration, RegistrationStatus
from bot.kit.charts import bar_charts_png, can_draw, panel_texts
from bot.kit.filters import PRIVATE_CHAT, AdminOnly, StaffOnly
from bot.kit.widgets import current_language
from bot.registration.service import RegistrationService
from bot.registration.start import answer_invalid_link
from bot.staff.checkin_service import CheckinOutcome, CheckinService, normalize_code
from bot.staff.export_service import ExportFormat, ExportService
from bot.staff.find_service import QUERY_MAX, SearchService
from bot.staff.headcount_service import HeadcountService
from bot.staff.roles import names_of
from bot.staff.views import (
    CHART_TITLE,
    delegate_card,
    headcount_panels,
    headcount_sections,
    pack,
    staff_link,
)
from bot.states import DelegationsSG, InviteSG, StaffSG

log = logging.getLogger(__name__)

STAFF_COMMANDS = (
    ("headcount", N_("Headcount and logistics")),
    ("find", N_("Find a delegate by name, code or email")),
    ("checkin", N_("Check a delegate in by code")),
    ("export", N_("Export registrations (XLSX, CSV)")),
    ("invite", N_("Invite a delegation")),
    ("delegations", N_("Delegations, their size and balance")),
    ("broadcast", N_("Send a message to delegates")),
    ("questions", N_("Questions waiting for an answer")),
)
ADMIN_COMMANDS = (
    ("staff", N_("Grant or revoke the staff role")),
    ("purge", N_("Erase personal data after the event")),
)
# One matplotlib drawing at a time: it is not meant to draw from several threads at once.
_CHART_LOCK = asyncio.Lock()


class CardCB(CallbackData, prefix="scard"):
    registration_id: int


class CheckinCB(CallbackData, prefix="scheckin"):
    registration_id: int


class ExportCB(CallbackData, prefix="sexport"):
    format: ExportFormat
    passports: bool = False


def staff_router() -> Router:
    router = Router(name="staff")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    exporting: set[int] = set()  # staff with an export being written: a double press makes one file

    @router.message(~PRIVATE_CHAT, Command(*(name for name, _text in (*STAFF_COMMANDS, *ADMIN_COMMANDS))))
    async def in_a_group(message: Message) -> None:
        await message.reply(
            _("🔒 Staff commands work only in our private chat, so that delegates' data stays private.")
        )

    @router.message(PRIVATE_CHAT, Command("staff"), AdminOnly())
    async def staff_roles(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(StaffSG.list, show_mode=ShowMode.SEND)

    @router.message(PRIVATE_CHAT, Command("invite"))
    async def invite(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(InviteSG.party, show_mode=ShowMode.SEND)

    @router.message(PRIVATE_CHAT, Command("delegations"))
    async def delegations(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(DelegationsSG.list, show_mode=ShowMode.SEND)

    @router.message(PRIVATE_CHAT, Command("headcount"))
    async def headcount(
        message: Message, headcounts: HeadcountService, staff: StaffService, conference: Event, clock: Clock
    ) -> None:
        await staff.audit(message.from_user.id, "headcount")
        counts = await headcounts.count()
        language = current_language()
        for text in pack(headcount_sections(counts, conference, language, clock.now())):
            await message.answer(text)
        title, panels = _(CHART_TITLE), headcount_panels(counts, conference, language)
        if not can_draw(panel_texts(title, panels)):
            with get_i18n().use_locale(DEFAULT_LANGUAGE):
                title, panels = _(CHART_TITLE), headcount_panels(counts, conference, DEFAULT_LANGUAGE)
        async with _CHART_LOCK:
            png = await asyncio.to_thread(bar_charts_png, title, panels)
        await message.answer_photo(BufferedInputFile(png, filename="headcount.png"))

    @router.message(PRIVATE_CHAT, Command("find"))
    async def find(
        message: Message, command: CommandObject, search: SearchService, staff: StaffService
    ) -> None:
        query = (command.args or "").strip()
        if not query:
            await message.answer(
                _("Type /find and part of a name, a registration code or an email, e.g. /find reyes")
            )
            return
        result = await search.find(query)
        await staff.audit(message.from_user.id, "find", results=result.total)
        if not result.found:
            await message.answer(_("Nobody found for “{query}”.").format(query=escape(query[:QUERY_MAX])))
            return
        keyboard = InlineKeyboardBuilder()
        lines = [_("🔎 Found: {count}").format(count=result.total)]
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

    @router.callback_query(CardCB.filter())
    async def open_card(
        callback: CallbackQuery,
        callback_data: CardCB,
        checkins: CheckinService,
        staff: StaffService,
        registrations: RegistrationService,
        conference: Event,
    ) -> None:
        found = await checkins.card(callback_data.registration_id)
        if found is None or callback.message is None:
            await callback.answer(_("This registration no longer exists."))
            return
        registration, delegation = found
        await staff.audit(callback.from_user.id, "card.view", f"registration:{registration.id}")
        await callback.answer()
        text = await _card_text(registration, delegation, conference, registrations, callback.from_user.id)
        await callback.message.answer(text, reply_markup=_card_keyboard(registration))

    @router.callback_query(CheckinCB.filter())
    async def check_in_from_card(callback: CallbackQuery, callback_data: CheckinCB, **data) -> None:
        await callback.answer()
        if callback.message is None:
            return
        await check_in(callback.message, callback.from_user.id, callback_data.registration_id, data)

    @router.message(PRIVATE_CHAT, Command("checkin"))
    async def check_in_by_code(
        message: Message, command: CommandObject, checkins: CheckinService, **data
    ) -> None:
        typed = (command.args or "").strip()
        if not typed:
            await message.answer(
                _(
                    "Type /checkin and the registration code, e.g. /checkin ABC-123, "
                    "or scan the delegate's QR code with your phone camera."
                )
            )
            return
        registration = await checkins.by_code(typed)
        if registration is None:
            code = normalize_code(typed) or typed[:20]
            await message.answer(_("No registration has the code {code}.").format(code=escape(code)))
            return
        await check_in(message, message.from_user.id, registration.id, {**data, "checkins": checkins})

    @router.message(PRIVATE_CHAT, Command("export"))
    async def export(message: Message, command: CommandObject, staff: StaffService, **data) -> None:
        is_admin = staff.is_admin(message.from_user.id)
        wanted = (command.args or "").strip().lower()
        if wanted == "passports" and not is_admin:
            await message.answer(_("Only organisers with full rights can export passport numbers."))
            return
        if wanted in ("xlsx", "csv", "passports"):
            export_format = ExportFormat.CSV if wanted == "csv" else ExportFormat.XLSX
            await _export(message, message.from_user.id, export_format, wanted == "passports", staff, data)
            return
        rows = [
            [
                _button(_("📊 Excel (XLSX)"), ExportCB(format=ExportFormat.XLSX)),
                _button(_("📄 CSV"), ExportCB(format=ExportFormat.CSV)),
            ]
        ]
        if is_admin:
            rows.append(
                [
                    _button(
                        _("🛂 XLSX with passport numbers"), ExportCB(format=ExportFormat.XLSX, passports=True)
                    )
                ]
            )
        await message.answer(
            _("Which file? Exports are sent here, in our private chat."),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )

    @router.callback_query(ExportCB.filter())
    async def export_chosen(
        callback: CallbackQuery, callback_data: ExportCB, staff: StaffService, **data
    ) -> None:
        if callback_data.passports and not staff.is_admin(callback.from_user.id):
            await callback.answer(_("Only organisers with full rights can export passport numbers."))
            return
        if callback.message is None or callback.message.chat.type != "private":
            await callback.answer()
            return
        await callback.answer()
        await _export(
            callback.message,
            callback.from_user.id,
            callback_data.format,
            callback_data.passports,
            staff,
            data,
        )

    async def _export(
        message: Message,
        actor_id: int,
        export_format: ExportFormat,
        passports: bool,
        staff: StaffService,
        data,
    ) -> None:
        if actor_id in exporting:
            await message.answer(_("Your export is being prepared: it will arrive in a moment."))
            return
        exporting.add(actor_id)
        try:
            await _send_export(message, actor_id, export_format, passports, staff, data)
        finally:
            exporting.discard(actor_id)

    return router


def _button(text: str, callback_data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback_data.pack())


async def _send_export(
    message: Message, actor_id: int, export_format: ExportFormat, passports: bool, staff: StaffService, data
) -> None:
    exports: ExportService = data["exports"]
    clock: Clock = data["clock"]
    event: Event = data["conference"]
    progress = await message.answer(_("⏳ Preparing the file…"))
    await message.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    reveal = _revealer(data["passports"]) if passports else None
    stamp = clock.now().astimezone(event.tz).strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path = Path(folder) / f"registrations-{event.id}-{stamp}.{export_format}"
        rows = await exports.write(path, export_format, current_language(), reveal)
        await staff.audit(actor_id, "export", None, format=str(export_format), rows=rows, passports=passports)
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


async def _card_text(
    registration: Registration, delegation, event: Event, registrations: RegistrationService, viewer_id: int
) -> str:
    checked_in_by = None
    if registration.checked_in_by is not None:
        names = await names_of(registrations, [registration.checked_in_by])
        checked_in_by = staff_link(
            registration.checked_in_by, names.get(registration.checked_in_by), viewer_id
        )
    return delegate_card(registration, delegation, event, current_language(), checked_in_by)


def _card_keyboard(registration: Registration) -> InlineKeyboardMarkup | None:
    active = registration.status in (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING)
    if registration.checked_in_at is not None or not active:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("🎫 Check in"), CheckinCB(registration_id=registration.id))]]
    )


async def check_in(message: Message, staff_id: int, registration_id: int, data: dict) -> None:
    """Check in and show the delegate's card with what happened; audited."""
    checkins: CheckinService = data["checkins"]
    clock: Clock = data["clock"]
    staff: StaffService = data["staff"]
    event: Event = data["conference"]
    registrations: RegistrationService = data["registrations"]
    result = await checkins.check_in(registration_id, staff_id, clock.now())
    registration = result.registration
    await staff.audit(staff_id, "checkin", f"registration:{registration.id}", outcome=str(result.outcome))
    if registration.full_name is None:  # erased: nothing left to show
        await message.answer(_("⛔ This registration has been erased: there is nobody to check in."))
        return
    card = await _card_text(registration, result.delegation, event, registrations, staff_id)
    if result.outcome is CheckinOutcome.CHECKED_IN:
        headline = _("✅ <b>Checked in</b>")
        if registration.status == RegistrationStatus.PENDING:
            headline += "\n" + _("⚠️ This registration is pending: the organisers have not confirmed it yet.")
    elif result.outcome is CheckinOutcome.ALREADY:
        headline = _("⚠️ <b>Already checked in</b>: see below when and by whom.")
    else:
        headline = _("⛔ <b>Not checked in</b>: this registration is {status}.").format(
            status=escape(label(STATUSES, registration.status))
        )
    await message.answer(f"{headline}\n\n{card}")


async def open_checkin_link(message: Message, token: str, manager: DialogManager) -> None:
    """`/start ci_<token>` from the QR code: staff check the delegate in; anyone else learns nothing."""
    data = manager.middleware_data
    staff: StaffService = data["staff"]
    if not await staff.is_staff(message.from_user.id):
        await answer_invalid_link(message, manager)
        return
    checkins: CheckinService = data["checkins"]
    registration = await checkins.by_token(token)
    if registration is None:
        await message.answer(
            _("⛔ No registration has this QR code (it may be for another event, or erased).")
        )
        return
    await check_in(message, message.from_user.id, registration.id, data)
