"""Check-in at the entrance, and a delegate's card.

Staff check a delegate in by scanning the QR code of their ticket (`/start ci_<token>`, handled
by `open_checkin_link`), by typing /checkin and the registration code, or with the button on the
delegate's card (opened from /find). Every card shown and every check-in is audited.
"""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager

from bot.core.i18n import gettext as _
from bot.core.labels import STATUSES, label
from bot.core.models import Delegation, Registration, RegistrationStatus
from bot.core.registration_codes import normalize_code
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.services import Services, services_of
from bot.kit.widgets import current_language
from bot.staff.checkin_service import CheckinOutcome
from bot.staff.roles import names_of
from bot.staff.views import delegate_card, staff_link


class CardCB(CallbackData, prefix="scard"):
    registration_id: int


class CheckinCB(CallbackData, prefix="scheckin"):
    registration_id: int


async def open_card(callback: CallbackQuery, callback_data: CardCB, services: Services) -> None:
    found = await services.checkins.card(callback_data.registration_id)
    if found is None or callback.message is None:
        await callback.answer(_("This registration no longer exists."))
        return
    registration, delegation = found
    await services.staff.audit(callback.from_user.id, "card.view", f"registration:{registration.id}")
    await callback.answer()
    text = await card_text(registration, delegation, services, callback.from_user.id)
    await callback.message.answer(text, reply_markup=card_keyboard(registration))


async def card_text(
    registration: Registration, delegation: Delegation | None, services: Services, viewer_id: int
) -> str:
    checked_in_by = None
    if (staff_id := registration.checked_in_by) is not None:
        names = await names_of(services, [staff_id])
        checked_in_by = staff_link(staff_id, names[staff_id], viewer_id)
    return delegate_card(registration, delegation, services.event, current_language(), checked_in_by)


def card_keyboard(registration: Registration) -> InlineKeyboardMarkup | None:
    """The check-in button, on the card of an active registration not yet checked in."""
    active = registration.status in (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING)
    if registration.checked_in_at is not None or not active:
        return None
    button = InlineKeyboardButton(
        text=_("🎫 Check in"), callback_data=CheckinCB(registration_id=registration.id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def check_in_from_card(callback: CallbackQuery, callback_data: CheckinCB, services: Services) -> None:
    await callback.answer()
    if callback.message is None:
        return
    await check_in(callback.message, callback.from_user.id, callback_data.registration_id, services)


async def check_in_by_code(message: Message, command: CommandObject, services: Services) -> None:
    typed = (command.args or "").strip()
    if not typed:
        await message.answer(
            _(
                "Type /checkin and the registration code, e.g. /checkin ABC-123, "
                "or scan the delegate's QR code with your phone camera."
            )
        )
        return
    checkins = services.checkins
    registration = await checkins.by_code(typed)
    if registration is None:
        code = normalize_code(typed) or typed[:20]
        await message.answer(_("No registration has the code {code}.").format(code=escape(code)))
        return
    await check_in(message, message.from_user.id, registration.id, services)


async def open_checkin_link(message: Message, token: str, manager: DialogManager) -> bool:
    """`/start ci_<token>` from the QR code: staff check the delegate in.

    False for anyone else: /start then answers as for any link that is not valid, so they learn
    nothing (bot/kit/start_links.py).
    """
    services = services_of(manager)
    if not await services.staff.is_staff(message.from_user.id):
        return False
    registration = await services.checkins.by_token(token)
    if registration is None:
        await message.answer(
            _("⛔ No registration has this QR code (it may be for another event, or erased).")
        )
        return True
    await check_in(message, message.from_user.id, registration.id, services)
    return True


async def check_in(message: Message, staff_id: int, registration_id: int, services: Services) -> None:
    """Check in and show the delegate's card with what happened; audited."""
    result = await services.checkins.check_in(registration_id, staff_id, services.clock.now())
    registration = result.registration
    await services.staff.audit(
        staff_id, "checkin", f"registration:{registration.id}", outcome=str(result.outcome)
    )
    if registration.full_name is None:  # erased: nothing left to show
        await message.answer(_("⛔ This registration has been erased: there is nobody to check in."))
        return
    card = await card_text(registration, result.delegation, services, staff_id)
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


def checkin_router() -> Router:
    """Included in the staff router (bot/staff/commands.py), which lets staff only through."""
    router = Router(name="staff-checkin")
    router.message.register(check_in_by_code, PRIVATE_CHAT, Command("checkin"))
    router.callback_query.register(open_card, CardCB.filter())
    router.callback_query.register(check_in_from_card, CheckinCB.filter())
    return router
