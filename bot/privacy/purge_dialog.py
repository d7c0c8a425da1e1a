"""/purge (admins): erase the event's personal data now, after a confirmation.

The daily retention check does the same by itself once the retention period has ended.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row

from bot.core.i18n import N_, fmt_date
from bot.core.i18n import gettext as _
from bot.kit.services import Services, services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T, current_language
from bot.states import PurgeSG


async def _getter(services: Services, **_kw) -> dict:
    privacy = services.privacy
    due = privacy.purge_due(services.clock.now())
    return {
        "count": await privacy.holding_personal_data(),
        "kept_until": fmt_date(privacy.kept_until, current_language(), "long"),
        "due": due,
        "early": not due,
    }


async def _purge(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    if not services.staff.is_admin(callback.from_user.id):
        return  # ADMIN_IDS changed since /purge: the window stays, nothing is erased
    # Closed first: the admin's own dialogue state is purged too and must not be written back.
    await manager.reset_stack()
    report = await services.privacy.purge(services.clock.now())
    await services.staff.audit(
        callback.from_user.id,
        "privacy.purge",
        registrations=report.registrations,
        users=report.users,
    )
    await callback.message.answer(
        _("✅ Purged: {registrations} registrations erased, {users} users' other data deleted.").format(
            registrations=report.registrations, users=report.users
        )
    )


async def _cancel(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await callback.message.edit_text(_("Nothing was erased."))
    await manager.done(show_mode=ShowMode.SEND)


def purge_dialog() -> Dialog:
    return Dialog(
        Window(
            T(
                N_(
                    "🧹 <b>Erase personal data</b>\n\nRegistrations still holding personal data: {count}. "
                    "Erasing clears every answer and identifier of every registration and every "
                    "user's language and answers in progress; only anonymous counts are kept. "
                    "This cannot be undone."
                )
            ),
            T(N_("\n\nThe retention period ended on {kept_until}."), when="due"),
            T(
                N_(
                    "\n\n⚠️ The retention period only ends on {kept_until}: the daily check erases "
                    "the data by itself then. Erase it now anyway?"
                ),
                when="early",
            ),
            Row(
                Button(T(N_("🧹 Erase now")), id="purge", on_click=_purge),
                Button(T(N_("Cancel")), id="cancel", on_click=_cancel),
            ),
            UNEXPECTED_INPUT,
            state=PurgeSG.confirm,
            getter=_getter,
        ),
    )
