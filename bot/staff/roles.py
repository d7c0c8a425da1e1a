"""/staff (admins): who is staff, grant the role, revoke it; the command and its dialogue.

A new staff member is picked with Telegram's own user picker (a reply-keyboard button), by
forwarding a message they wrote, or by typing their user id. The bot tells them what they can now
do; Telegram lets it write only to people who have opened it, so for anyone else the admin is
told that the role is granted but the person was not told, and must open the bot first.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    Message,
    MessageOriginUser,
    User,
)
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.api.internal import RawKeyboard, TextWidget
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Keyboard, Row, Select, SwitchTo
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory

from bot.core.event import localized
from bot.core.i18n import N_, get_i18n
from bot.core.i18n import gettext as _
from bot.core.input_checks import InvalidAnswer
from bot.kit.filters import PRIVATE_CHAT, AdminOnly, Inline, staff_only
from bot.kit.services import Services, services_of
from bot.kit.widgets import (
    UNEXPECTED_INPUT,
    T,
    answer_taking_keyboard_away,
    choices,
    current_language,
    say_invalid,
)
from bot.staff.views import staff_link
from bot.states import StaffSG

log = logging.getLogger(__name__)
PICK_REQUEST_ID = 1


class RequestUser(Keyboard):
    """A reply-keyboard button that opens Telegram's user picker (the bot gets a `users_shared`)."""

    def __init__(self, text: TextWidget, request_id: int):
        super().__init__()
        self.text = text
        self.request_id = request_id

    async def _render_keyboard(self, data: dict, manager: DialogManager) -> RawKeyboard:
        request = KeyboardButtonRequestUsers(
            request_id=self.request_id, user_is_bot=False, request_name=True, max_quantity=1
        )
        return [[KeyboardButton(text=await self.text.render_text(data, manager), request_users=request)]]


async def names_of(services: Services, user_ids: list[int]) -> dict[int, str]:
    """What to call each person: the name on their registration, else who they are to the bot
    (the bot keeps no other name). Staff are few: one lookup each."""
    names = {}
    for user_id in user_ids:
        registration = await services.registrations.get_active(user_id)
        if registration is not None and registration.full_name:
            names[user_id] = registration.full_name
        elif await services.users.has_used_bot(user_id):
            names[user_id] = _("someone with no registration (id {id})").format(id=user_id)
        else:
            names[user_id] = _("someone who has not opened the bot yet (id {id})").format(id=user_id)
    return names


async def _list_getter(event_from_user: User, services: Services, **_kw) -> dict:
    # From the handler data: the event is an ErrorEvent when the window is shown again after one.
    viewer = event_from_user.id
    staff = services.staff
    everyone = await staff.staff_ids()
    names = await names_of(services, everyone)
    granted = [user_id for user_id in everyone if not staff.is_admin(user_id)]
    return {
        "admins": ", ".join(staff_link(u, names[u], viewer) for u in sorted(staff.admin_ids)),
        "staff": ", ".join(staff_link(u, names[u], viewer) for u in granted) or _("nobody yet"),
        # Long enough for "someone who has not opened the bot yet (id …)" to keep its id.
        "granted": [(str(u), "✖️ " + names[u][:64]) for u in granted],
    }


async def _pick_revoke(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    if value.isdigit():
        manager.dialog_data["revoke"] = int(value)
        await manager.switch_to(StaffSG.revoke)


async def _revoke_getter(
    dialog_manager: DialogManager, event_from_user: User, services: Services, **_kw
) -> dict:
    user_id = dialog_manager.dialog_data.get("revoke", 0)
    names = await names_of(services, [user_id])
    return {"who": staff_link(user_id, names[user_id], event_from_user.id)}


async def _revoke(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    user_id = manager.dialog_data.pop("revoke", None)
    if user_id is not None and await services.staff.revoke(callback.from_user.id, user_id):
        await services.menus.refresh(callback.bot, user_id)
        await _notify(callback.bot, services, user_id, N_("Your staff role for {event} has ended."))
        await callback.answer(_("The staff role is revoked."))
    await manager.switch_to(StaffSG.list)


async def _notify(bot: Bot, services: Services, user_id: int, msgid: str) -> bool:
    """Tell a user in their own language; False when the bot cannot write to them."""
    if not await services.users.has_used_bot(user_id):
        return False  # Telegram would refuse ("chat not found"): they never opened the bot
    language = await services.users.language(user_id) or current_language()
    with get_i18n().use_locale(language):
        text = _(msgid).format(
            event=escape(localized(services.event.name, language)),
            commands=" ".join(f"/{name}" for name, _label in services.menus.staff_commands),
        )
    try:
        await bot.send_message(user_id, text)
    except TelegramAPIError as error:
        log.info("could not write to a user being granted or revoked: %s", type(error).__name__)
        return False
    return True


async def _grant(message: Message, manager: DialogManager, user_id: int, name: str | None) -> None:
    """`name`: as the picker or the forwarded message gave it, if they did."""
    services = services_of(manager)
    staff = services.staff
    if user_id == message.bot.id:
        await message.answer(_("That is me, the bot. Please pick a person."))
        manager.show_mode = ShowMode.SEND
        return
    who = staff_link(user_id, name or (await names_of(services, [user_id]))[user_id], message.from_user.id)
    if await staff.is_staff(user_id):
        await answer_taking_keyboard_away(message, manager, _("{who} is already staff.").format(who=who))
        await manager.switch_to(StaffSG.list)
        return
    await staff.grant(message.from_user.id, user_id)
    await services.menus.refresh(message.bot, user_id)
    welcome = N_(
        "🛡 You are now part of the staff for {event}. Your staff commands are in the menu: {commands}"
    )
    if await _notify(message.bot, services, user_id, welcome):
        done = _("✅ {who} is now staff. I have told them.")
    else:
        done = _(
            "✅ {who} is now staff, but they have not been told: they have not opened this bot yet (or "
            "they blocked it), so I cannot write to them. Ask them to open the bot and press Start; their "
            "staff commands appear in the menu once they have chosen their language."
        )
    await answer_taking_keyboard_away(message, manager, done.format(who=who))
    await manager.switch_to(StaffSG.list)


async def _on_users_shared(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    shared = message.users_shared
    if shared.request_id != PICK_REQUEST_ID or not shared.users:
        return
    user = shared.users[0]
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or None
    await _grant(message, manager, user.user_id, name)


async def _on_forward(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser) and not origin.sender_user.is_bot:
        await _grant(message, manager, origin.sender_user.id, origin.sender_user.full_name)
        return
    await say_invalid(
        message,
        manager,
        InvalidAnswer(
            N_(
                "This message does not show who wrote it (their privacy settings hide it). Please use the "
                "button, or type their user id."
            )
        ),
    )


async def _on_user_id(message: Message, _w: TextInput, manager: DialogManager, text: str) -> None:
    value = text.strip().lstrip("#")
    if not value.isdigit() or not 0 < int(value) < 2**52:
        await say_invalid(
            message,
            manager,
            InvalidAnswer(
                N_(
                    "Please press the button, forward a message from the person, or type their user id (digits)."
                )
            ),
        )
        return
    await _grant(message, manager, int(value), None)


async def _leave_picker(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    # A reply-keyboard button: the keyboard is taken away with a message of its own.
    await answer_taking_keyboard_away(callback.message, manager, _("No change."))
    await manager.switch_to(StaffSG.list)


async def open_staff_roles(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(StaffSG.list, show_mode=ShowMode.SEND)


def roles_router() -> Router:
    """/staff, for admins; included in the staff router (bot/staff/commands.py), staff only."""
    router = Router(name="staff-roles")
    router.message.register(open_staff_roles, PRIVATE_CHAT, Command("staff"), AdminOnly())
    return router


def staff_dialog() -> Dialog:
    return staff_only(
        Dialog(
            Window(
                T(
                    N_(
                        "🛡 <b>Staff</b>\n\nOrganisers with full rights (set by whoever runs the bot): {admins}\n"
                        "Staff: {staff}\n\n"
                        "Staff see headcounts, find delegates, export, check in and invite delegations. "
                        "Tap ✖️ to revoke someone's role."
                    )
                ),
                choices("r", "granted", _pick_revoke, width=1),
                SwitchTo(T(N_("➕ Add a staff member")), id="add", state=StaffSG.add),
                Cancel(T(N_("✖️ Close")), id="close"),
                UNEXPECTED_INPUT,
                state=StaffSG.list,
                getter=_list_getter,
            ),
            Window(
                T(
                    N_(
                        "Who should become staff? Press the button below to pick them from your chats, forward "
                        "me a message they wrote, or type their Telegram user id. I will tell them, if they "
                        "have opened this bot."
                    )
                ),
                RequestUser(T(N_("👤 Pick a person")), PICK_REQUEST_ID),
                Button(T(N_("✖️ Cancel")), id="cancel", on_click=_leave_picker),
                MessageInput(_on_users_shared, content_types=[ContentType.USERS_SHARED]),
                MessageInput(_on_forward, filter=Inline(F.forward_origin)),
                TextInput(id="uid", on_success=_on_user_id),
                UNEXPECTED_INPUT,
                state=StaffSG.add,
                markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
            ),
            Window(
                T(N_("Revoke the staff role of {who}? Their registration, if any, stays as it is.")),
                Row(
                    Button(T(N_("Yes, revoke")), id="yes", on_click=_revoke),
                    SwitchTo(T(N_("No")), id="no", state=StaffSG.list),
                ),
                UNEXPECTED_INPUT,
                state=StaffSG.revoke,
                getter=_revoke_getter,
            ),
        )
    )
