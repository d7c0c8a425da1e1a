"""The staff router: /headcount, /find, /export, /checkin, /invite, /delegations, and /staff (admins).

It is filtered with StaffOnly and placed before the delegate commands: anyone else falls through
to them, so a staff command gets the unknown-command answer and a forged staff button gets
nothing, exactly like any unknown button. The filter holds for the routers of each staff tool,
included here. Personal data is shown in private chats only. Every staff action on personal data
is written to the audit log (ids only).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode

from bot.core.i18n import N_
from bot.core.i18n import gettext as _
from bot.kit.filters import PRIVATE_CHAT, StaffOnly
from bot.staff.checkin import checkin_router
from bot.staff.export import export_router
from bot.staff.find import find_router
from bot.staff.headcount import headcount_router
from bot.staff.roles import roles_router
from bot.states import DelegationsSG, InviteSG

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
    # The dialogues of the delegations feature (bot/delegations), opened by name (bot/states.py).
    router.message.register(open_invite, PRIVATE_CHAT, Command("invite"))
    router.message.register(open_delegations, PRIVATE_CHAT, Command("delegations"))
    router.include_routers(
        roles_router(), headcount_router(), find_router(), checkin_router(), export_router()
    )
    return router
