"""/me: the delegate's registration, with change and withdraw."""

from __future__ import annotations

from html import escape

from aiogram.types import CallbackQuery, User
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo

from bot.core.answers import answers_of
from bot.core.i18n import N_, fmt_date
from bot.core.i18n import gettext as _
from bot.core.labels import STATUSES_FOR_DELEGATES, label
from bot.core.summary import render_answers
from bot.kit.services import Services, services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T, current_language
from bot.registration.form_dialog import begin_registration, change_registration
from bot.registration.service import changes_open
from bot.registration.tickets import send_ticket
from bot.states import MyRegistrationSG


async def _view_getter(event_from_user: User, services: Services, **_kw) -> dict:
    registration = await services.registrations.get_active(event_from_user.id)
    language = current_language()
    if registration is None:
        return {"registered": False, "can_change": False, "closed": False}
    event = services.event
    can_change = changes_open(event, services.clock.now())
    return {
        "registered": True,
        "code": registration.code,
        "status": label(STATUSES_FOR_DELEGATES, registration.status),
        "summary": render_answers(
            services.passports.for_display(answers_of(registration), event.form.sensitive_keys),
            event,
            language,
        ),
        "can_change": can_change,
        "closed": not can_change,
        "changes_deadline": fmt_date(event.changes_deadline.date(), language, "long"),
        "email": escape(event.contact_email),
    }


async def _change(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    registration = await services.registrations.get_active(callback.from_user.id)
    if registration is None or not changes_open(services.event, services.clock.now()):
        return  # the view is shown again with what is possible now
    await change_registration(manager, registration)


async def _show_ticket(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    registration = await services.registrations.get_active(callback.from_user.id)
    if registration is not None:
        await send_ticket(callback.bot, callback.message.chat.id, registration, services.event)
        manager.show_mode = ShowMode.DELETE_AND_SEND  # the card moves below the ticket, not copied


async def _withdraw(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    if await services.registrations.withdraw(callback.from_user.id, services.clock.now()):
        await callback.message.answer(
            _("Your registration is withdrawn. If you change your mind, send /start to register again.")
        )
    await manager.done(show_mode=ShowMode.NO_UPDATE)


async def _register(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await begin_registration(callback.message, manager)


def my_registration_dialog() -> Dialog:
    return Dialog(
        Window(
            T(N_("🎫 <b>Your registration</b> {code} ({status})\n\n{summary}"), when="registered"),
            T(N_("\nYou can change your answers until {changes_deadline}."), when="can_change"),
            T(N_("\nChanges are closed. Please write to {email} if something is wrong."), when="closed"),
            T(N_("You are not registered."), when=lambda data, _w, _m: not data["registered"]),
            Button(T(N_("✏️ Change my answers")), id="change", on_click=_change, when="can_change"),
            Button(T(N_("🔳 Show my QR code")), id="qr", on_click=_show_ticket, when="registered"),
            SwitchTo(
                T(N_("🗑 Withdraw my registration")),
                id="withdraw",
                state=MyRegistrationSG.withdraw,
                when="registered",
            ),
            Button(
                T(N_("📝 Register")),
                id="register",
                on_click=_register,
                when=lambda data, _w, _m: not data["registered"],
            ),
            UNEXPECTED_INPUT,
            state=MyRegistrationSG.view,
            getter=_view_getter,
        ),
        Window(
            T(
                N_(
                    "Do you really want to withdraw your registration? The organisers will no longer expect you."
                )
            ),
            Row(
                Button(T(N_("Yes, withdraw")), id="yes", on_click=_withdraw),
                SwitchTo(T(N_("No, keep it")), id="no", state=MyRegistrationSG.view),
            ),
            UNEXPECTED_INPUT,
            state=MyRegistrationSG.withdraw,
        ),
    )
