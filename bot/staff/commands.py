"""The staff router: the staff home (/start), /headcount, /find, /export, /checkin, /invite,
/delegations, and /staff (admins).

It is filtered with StaffOnly and placed before the delegate commands: anyone else falls through
to them, so a staff command gets the unknown-command answer and a forged staff button gets
nothing, exactly like any unknown button. The filter holds for the routers of each staff tool,
included here. Personal data is shown in private chats only. Every staff action on personal data
is written to the audit log (ids only).
"""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager, ShowMode

from bot.core.event import localized
from bot.core.i18n import N_
from bot.core.i18n import gettext as _
from bot.kit.filters import PRIVATE_CHAT, Inline, StaffOnly
from bot.kit.menus import command_lines
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.staff.checkin import checkin_router
from bot.staff.export import export_router
from bot.staff.find import find_router
from bot.staff.headcount import headcount_router
from bot.staff.roles import roles_router
from bot.states import DelegationsSG, InviteSG, RegistrationSG

# The staff and admin menus (bot/kit/menus.py); /broadcast, /questions and /purge are answered by
# their own features.
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


# The staff home's button: the person's own registration, as any delegate has it.
DELEGATE_HOME = "staff:delegate"


async def show_staff_home(message: Message, services: Services) -> None:
    """/start of staff and admins: what their role can do, and their own registration as a delegate
    one button away (they may take part too)."""
    user_id = message.from_user.id
    event = escape(localized(services.event.name, current_language()))
    registered = await services.registrations.get_active(user_id) is not None
    text = "\n\n".join(
        (
            _("🛡 <b>{event}</b>: you are part of the staff. What you can do:").format(event=event),
            command_lines(services.menus.tools_of(user_id, is_staff=True)),
            _("/help lists every command, those of delegates too."),
        )
    )
    label = _("📋 My registration") if registered else _("📝 Register as a delegate")
    button = InlineKeyboardButton(text=label, callback_data=DELEGATE_HOME)
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))


async def open_delegate_home(
    callback: CallbackQuery, dialog_manager: DialogManager, services: Services
) -> None:
    await callback.answer()
    if dialog_manager.has_context() and dialog_manager.current_context().state.group is not RegistrationSG:
        # A staff dialogue left open (a broadcast, an invitation…) is not where they stand as a
        # delegate: the delegate side would show it again.
        await dialog_manager.reset_stack()
    await services.delegate_home(callback.message, dialog_manager, services)


async def refuse_in_group(message: Message) -> None:
    await message.reply(
        _("🔒 Staff commands work only in our private chat, so that delegates' data stays private.")
    )


async def open_invite(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(InviteSG.party, show_mode=ShowMode.SEND)


async def open_delegations(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(DelegationsSG.list, show_mode=ShowMode.SEND)


def staff_router() -> Router:
    router = Router(name="staff")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    every_command = (name for name, _text in (*STAFF_COMMANDS, *ADMIN_COMMANDS))
    router.message.register(refuse_in_group, ~PRIVATE_CHAT, Command(*every_command))
    # A bare /start; the deep links (invitations, check-in) go to the features that made them.
    router.message.register(show_staff_home, PRIVATE_CHAT, CommandStart(magic=F.args.is_(None)))
    router.callback_query.register(open_delegate_home, Inline(F.data == DELEGATE_HOME))
    # The dialogues of the delegations feature (bot/delegations), opened by name (bot/states.py).
    router.message.register(open_invite, PRIVATE_CHAT, Command("invite"))
    router.message.register(open_delegations, PRIVATE_CHAT, Command("delegations"))
    router.include_routers(
        roles_router(), headcount_router(), find_router(), checkin_router(), export_router()
    )
    return router
