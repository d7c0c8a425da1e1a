"""/forget: what erasure means, then erase or cancel."""

from __future__ import annotations

from html import escape

from aiogram.types import CallbackQuery, User
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row

from bot.core.i18n import N_
from bot.core.i18n import gettext as _
from bot.kit.services import Services, services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T
from bot.states import ForgetSG


async def _getter(event_from_user: User, services: Services, **_kw) -> dict:
    registration = await services.registrations.get_active(event_from_user.id)
    return {
        "registered": registration is not None,
        "not_registered": registration is None,
        "code": registration.code if registration else "",
    }


async def _erase(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    # Close every dialogue first: aiogram-dialog saves the open ones after this handler, and
    # nothing of this user may be written back once erased.
    await manager.reset_stack()
    await services.privacy.forget(callback.from_user.id, services.clock.now())
    await callback.message.answer(
        _(
            "✅ Your data is erased: the bot no longer knows anything about you. If the organisers "
            "already used your data (for a visa letter, a hotel booking), write to {email} to have "
            "it deleted there too. Send /start if you wish to register again."
        ).format(email=escape(services.event.contact_email))
    )


async def _cancel(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await callback.message.edit_text(_("Nothing was erased."))
    # What was open before /forget is shown again below.
    await manager.done(show_mode=ShowMode.SEND)


def forget_dialog() -> Dialog:
    return Dialog(
        Window(
            T(
                N_(
                    "🗑 <b>Erase your data?</b>\n\nThis erases everything this bot stores about you: your "
                    "registration {code} with all your answers (contact details, travel, passport), "
                    "your language choice and any answers in progress. Your registration is cancelled: "
                    "the organisers will no longer expect you, and your QR code stops working.\n\n"
                    "Only anonymous counts are kept. This cannot be undone."
                ),
                when="registered",
            ),
            T(
                N_(
                    "🗑 <b>Erase your data?</b>\n\nThis erases everything this bot stores about you: your "
                    "language choice and any answers you have given so far. This cannot be undone."
                ),
                when="not_registered",
            ),
            Row(
                Button(T(N_("🗑 Yes, erase everything")), id="erase", on_click=_erase),
                Button(T(N_("Cancel")), id="cancel", on_click=_cancel),
            ),
            UNEXPECTED_INPUT,
            state=ForgetSG.confirm,
            getter=_getter,
        ),
    )
