"""Delegates and their delegation: the invitation link (`/start inv_<token>`) and /delegation."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.core.i18n import gettext as _
from bot.core.models import Delegation, Registration
from bot.delegations.membership import DelegationMembership
from bot.delegations.texts import balance_advice, delegation_name, roster_text, size_text
from bot.kit.filters import PRIVATE_CHAT
from bot.kit.resume import bring_back, offer_to_continue
from bot.kit.services import Services, services_of
from bot.kit.widgets import current_language
from bot.states import RegistrationSG

# Answers the invitation fills in: the delegate does not type them again (the review can change them).
PREFILLED = ("organisation", "country")


async def show_my_delegation(message: Message, dialog_manager: DialogManager, services: Services) -> None:
    """/delegation"""
    language = current_language()
    found = await services.delegations.roster_of_member(message.from_user.id)
    if found is None:
        text = _(
            "You are not in a delegation. If your party sends one, ask its head for the invitation link."
        )
    else:
        registration, roster = found
        if roster.head is not None and roster.head.id == registration.id:
            text = roster_text(roster, services.event, language)
        else:
            text = (
                _("You are a member of the delegation of {name}.").format(
                    name=delegation_name(roster.delegation, language)
                )
                + "\n"
                + size_text(roster.size, roster.delegation.max_size)
            )
            if roster.head is not None:
                text += "\n" + _("Its head is {head}.").format(head=escape(roster.head.full_name or ""))
    await message.answer(text)
    if found is None:  # perhaps asked in the middle of the registration
        await offer_to_continue(message, dialog_manager)


def delegation_router() -> Router:
    router = Router(name="delegation")
    router.message.filter(PRIVATE_CHAT)
    router.message.register(show_my_delegation, Command("delegation"))
    return router


async def open_invitation(message: Message, token: str, manager: DialogManager) -> bool:
    """`/start inv_<token>`: register into the delegation, or join it when already registered.

    False for a token of no delegation: /start says the link is not valid.
    """
    services = services_of(manager)
    delegation = await services.delegations.by_token(token)
    if delegation is None:
        return False
    registration = await services.registrations.get_active(message.from_user.id)
    if registration is not None:
        await _join_registered(message, services, registration, delegation)
    elif not services.registrations.accepts_registrations(services.clock.now()):
        # The registration dialogue says that registration is closed.
        await manager.start(RegistrationSG.language, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    else:
        await _register_into(message, manager, services, delegation)
    return True


async def _join_registered(
    message: Message, services: Services, registration: Registration, delegation: Delegation
) -> None:
    name = delegation_name(delegation, current_language())
    if registration.delegation_id == delegation.id:
        await message.answer(
            _("You are already a member of the delegation of {name}. Send /delegation to see it.").format(
                name=name
            )
        )
    elif registration.delegation_id is not None:
        await message.answer(
            _(
                "You are registered with another delegation. To move to the delegation of {name}, "
                "please write to {email}."
            ).format(name=name, email=escape(services.event.contact_email))
        )
    else:
        membership = DelegationMembership(services.delegations, services.event)
        await membership.join(message.bot, registration, delegation.id)


async def _register_into(
    message: Message, manager: DialogManager, services: Services, delegation: Delegation
) -> None:
    """The registration dialogue, with the delegation's party and country filled in."""
    name = delegation_name(delegation, current_language())
    event = services.event
    roster = await services.delegations.roster(delegation.id)
    if roster.full:
        await message.answer(
            _(
                "The delegation of {name} is already complete ({max_size} members). If you should be part "
                "of it, please ask its head or write to {email}. You can still register on your own with /start."
            ).format(name=name, max_size=delegation.max_size, email=escape(event.contact_email))
        )
        return
    intro = "👥 " + _(
        "You are invited to join the delegation of {name}. Your party and country are filled in already."
    ).format(name=name)
    advice = balance_advice(event)
    await message.answer(f"{intro}\n\n{advice}" if advice else intro)
    prefill = {"organisation": delegation.party, "country": delegation.country}
    context = manager.current_context() if manager.has_context() else None
    if context is not None and context.state.group is RegistrationSG:
        # Registering already: the answers so far are kept, the delegation's are filled in.
        context.dialog_data.setdefault("answers", {}).update(prefill)
        context.dialog_data.update(delegation_id=delegation.id, prefilled=list(PREFILLED))
        await bring_back(manager)
        return
    # The registration dialogue's data: it joins the delegation once registered (membership.py).
    await manager.start(
        RegistrationSG.language,
        data={"answers": prefill, "prefilled": list(PREFILLED), "delegation_id": delegation.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )
