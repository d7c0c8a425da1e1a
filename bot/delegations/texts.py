"""Delegations as people read them: a delegation's name, its size and balance, its roster.

Shown to members and heads (delegations), and to staff (headcount, cards). HTML; values typed by
delegates are escaped here.
"""

from __future__ import annotations

from html import escape

from bot.core.event import Event, GenderBalancePolicy
from bot.core.i18n import N_, country_name, fmt_number, get_i18n, ngettext
from bot.core.i18n import gettext as _
from bot.core.labels import GENDERS, SEPARATOR, STATUSES, flag, label
from bot.core.models import Delegation
from bot.delegations.service import Balance, Roster


def _number(count: int) -> str:
    return fmt_number(count, get_i18n().current_locale)


def balance_text(balance: Balance) -> str:
    parts = [
        _("Women: {count}").format(count=_number(balance.women)),
        _("Men: {count}").format(count=_number(balance.men)),
    ]
    if balance.others:
        parts.append(_("Other or not said: {count}").format(count=_number(balance.others)))
    mark = "✅" if balance.balanced else "⚠️"
    return f"{mark} " + SEPARATOR.join(parts)


def delegation_name(delegation: Delegation, language: str) -> str:
    country = escape(country_name(delegation.country, language))
    return f"{flag(delegation.country)} {escape(delegation.party)} ({country})"


def size_text(size: int, max_size: int | None) -> str:
    if max_size is None:
        return _("Members: {size}").format(size=_number(size))
    return _("Members: {size} of {max_size}").format(size=_number(size), max_size=_number(max_size))


BALANCE_ADVICE = {
    GenderBalancePolicy.ADVISE: N_("⚖️ The organisers ask for delegations balanced between women and men."),
    GenderBalancePolicy.REQUIRE: N_(
        "⚖️ The organisers require delegations balanced between women and men: a registration that "
        "would unbalance the delegation stays pending until a member of the other gender registers."
    ),
}


def balance_advice(event: Event) -> str | None:
    advice = BALANCE_ADVICE.get(event.gender_balance)
    return _(advice) if advice else None


def roster_text(roster: Roster, event: Event, language: str, limit: int = 60) -> str:
    """The delegation and its members; what the head and staff see."""
    lines = [
        f"👥 <b>{delegation_name(roster.delegation, language)}</b>",
        size_text(roster.size, roster.delegation.max_size) + SEPARATOR + balance_text(roster.balance),
        "",
    ]
    for number, member in enumerate(roster.members[:limit], start=1):
        head = "👑 " if roster.head is not None and member.id == roster.head.id else ""
        gender = label(GENDERS, member.gender)
        state = escape(label(STATUSES, member.status))
        if member.held_for_balance:
            state += " " + _("(waiting for a balanced delegation)")
        checked_in = " 🎫" if member.checked_in_at else ""
        lines.append(
            f"{number}. {head}{escape(member.full_name or '')}{SEPARATOR}{gender}{SEPARATOR}{state}{checked_in}"
        )
    if roster.size > limit:
        lines.append(
            ngettext("{count} more: see /export", "{count} more: see /export", roster.size - limit).format(
                count=_number(roster.size - limit)
            )
        )
    if not roster.members:
        lines.append(_("Nobody has registered with this delegation's link yet."))
    advice = balance_advice(event)
    if advice and not roster.balance.balanced:
        lines += ["", advice]
    return "\n".join(lines)
