"""Joining a delegation, and what it tells the people concerned: the new member, the head, and
members confirmed because the delegation became balanced (each in their own language).

The wiring (`bot/app.py`) registers `DelegationMembership.join_after_registration` as a hook of the
registration dialogue (bot/registration/hooks.py): a fresh registration joins its delegation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.core.event import Event
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.labels import SEPARATOR
from bot.core.models import Registration
from bot.delegations.service import DelegationService, JoinOutcome, Membership
from bot.delegations.texts import balance_advice, balance_text, delegation_name, size_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DelegationMembership:
    delegations: DelegationService
    event: Event

    async def join_after_registration(
        self, bot: Bot, registration: Registration, dialog_data: dict[str, Any]
    ) -> None:
        """A registration was just stored: it joins the delegation of the invitation it came
        through (`delegation_id` in the dialogue's data, bot/delegations/handlers.py), or the one
        it was in before being withdrawn and registered again."""
        delegation_id = dialog_data.get("delegation_id") or registration.delegation_id
        if delegation_id is not None:
            await self.join(bot, registration, delegation_id)

    async def join(self, bot: Bot, registration: Registration, delegation_id: int) -> None:
        """Place a registration in its delegation and tell everyone concerned."""
        membership = await self.delegations.join(registration.id, delegation_id)
        language = get_i18n().current_locale
        if membership.outcome is not JoinOutcome.GONE:
            await _send(bot, registration.user_id, _member_text(membership, self.event, language))
        if membership.outcome in (JoinOutcome.JOINED, JoinOutcome.HELD):
            await _tell_head(bot, membership, self.event)
        for promoted in membership.promoted:
            with get_i18n().use_locale(promoted.language):
                text = "✅ " + _(
                    "Your registration is confirmed: your delegation is now balanced between women and men."
                )
            await _send(bot, promoted.user_id, text)


def _member_text(membership: Membership, event: Event, language: str) -> str:
    roster = membership.roster
    name = delegation_name(roster.delegation, language)
    if membership.outcome is JoinOutcome.FULL:
        return _(
            "The delegation of {name} is already complete ({max_size} members), so you are registered on "
            "your own. If you should be part of it, please write to {email}."
        ).format(name=name, max_size=roster.delegation.max_size, email=escape(event.contact_email))
    lines = [
        "👥 "
        + _("You are a member of the delegation of {name}.").format(name=name)
        + "\n"
        + size_text(roster.size, roster.delegation.max_size)
    ]
    if membership.outcome is JoinOutcome.HELD:
        lines.append(
            "⏳ "
            + _(
                "Your registration stays pending for now: the delegation has {balance}, and the organisers "
                "require a balance between women and men. It is confirmed as soon as the balance allows, "
                "and we will tell you here."
            ).format(balance=balance_text(roster.balance))
        )
    if roster.head is not None and roster.head.id == membership.registration.id:
        lines.append("👑 " + _("You lead this delegation: send /delegation to see its members."))
    elif roster.head is not None:
        lines.append(_("Its head is {head}.").format(head=escape(roster.head.full_name or "")))
    return "\n\n".join(lines)


async def _tell_head(bot: Bot, membership: Membership, event: Event) -> None:
    roster, member = membership.roster, membership.registration
    head = roster.head
    if head is None or head.id == member.id or head.user_id is None:
        return
    with get_i18n().use_locale(head.language):
        lines = [
            "👥 " + _("{member} joined your delegation.").format(member=escape(member.full_name or "")),
            size_text(roster.size, roster.delegation.max_size) + SEPARATOR + balance_text(roster.balance),
        ]
        if membership.outcome is JoinOutcome.HELD:
            lines.append("⏳ " + _("Their registration stays pending until the delegation is balanced."))
        advice = balance_advice(event)
        if advice and not roster.balance.balanced:
            lines.append(advice)
        lines.append(_("Send /delegation to see every member."))
        await _send(bot, head.user_id, "\n".join(lines))


async def _send(bot: Bot, chat_id: int | None, text: str) -> None:
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError as error:
        # A member who blocked the bot: the news waits in /delegation.
        log.warning("a delegation notice could not be delivered: %s", type(error).__name__)
