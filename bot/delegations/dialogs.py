"""Staff dialogues about delegations: /invite creates one and gives its link; /delegations lists
them with their size and balance, shows a roster and designates its head."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.core import input_checks as parse
from bot.core.i18n import N_, collation_key, country_name, search_countries
from bot.core.i18n import gettext as _
from bot.core.input_checks import InvalidAnswer
from bot.core.labels import SEPARATOR, flag
from bot.delegations.service import MAX_SIZE_LIMIT
from bot.delegations.texts import balance_text, delegation_name, roster_text, size_text
from bot.kit.filters import staff_only
from bot.kit.services import Services, services_of
from bot.kit.widgets import (
    UNEXPECTED_INPUT,
    T,
    WithArrow,
    arrow,
    back_text,
    choices,
    current_language,
    say_invalid,
)
from bot.states import DelegationsSG, InviteSG

INVITE_PREFIX = "inv"
SIZES = (2, 3, 4, 5, 6, 8, 10, 12)
PAGE = 8


async def invite_link(bot: Bot, token: str) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={INVITE_PREFIX}_{token}"


CLOSE = Cancel(T(N_("✖️ Close")), id="close")


# --- /invite ------------------------------------------------------------------------------------


async def _on_party(message: Message, _w: TextInput, manager: DialogManager, text: str) -> None:
    try:
        manager.dialog_data["party"] = parse.parse_free_text(text)
    except InvalidAnswer as error:
        await say_invalid(message, manager, error)
        return
    await manager.switch_to(InviteSG.country)


async def _country_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    matches = dialog_manager.dialog_data.get("matches")
    usual = services.event.usual_countries
    countries = [(code, country_name(code, language)) for code in matches or usual]
    if not matches:
        name_key = collation_key(language)
        countries.sort(key=lambda country: name_key(country[1]))
    return {"countries": countries, "party": escape(dialog_manager.dialog_data.get("party", ""))}


async def _on_country_text(message: Message, _w: TextInput, manager: DialogManager, text: str) -> None:
    query = parse.clean_text(text)[:60]
    codes = search_countries(query, current_language())
    if not codes:
        await say_invalid(
            message,
            manager,
            InvalidAnswer(
                N_("I found no country called “{query}”. Try another spelling, or its English name."),
                query=query,
            ),
        )
        return
    manager.dialog_data["matches"] = codes


async def _on_country(_c: CallbackQuery, _w: Select, manager: DialogManager, code: str) -> None:
    if len(code) == 2 and code.isalpha() and code.isupper():
        manager.dialog_data.pop("matches", None)
        manager.dialog_data["country"] = code
        await manager.switch_to(InviteSG.size)


async def _size_getter(**_kw) -> dict:
    return {"sizes": [(str(size), str(size)) for size in SIZES]}


async def _store_size(manager: DialogManager, size: int | None) -> None:
    manager.dialog_data["max_size"] = size
    await manager.switch_to(InviteSG.confirm)


async def _on_size(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    if value.isdigit() and 1 <= int(value) <= MAX_SIZE_LIMIT:
        await _store_size(manager, int(value))


async def _on_size_text(message: Message, _w: TextInput, manager: DialogManager, text: str) -> None:
    value = parse.clean_text(text)
    if not value.isdigit() or not 1 <= int(value) <= MAX_SIZE_LIMIT:
        await say_invalid(
            message,
            manager,
            InvalidAnswer(N_("Please type a number from 1 to {limit}."), limit=MAX_SIZE_LIMIT),
        )
        return
    await _store_size(manager, int(value))


async def _no_limit(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _store_size(manager, None)


def _invitation(manager: DialogManager) -> dict[str, Any]:
    data = manager.dialog_data
    language = current_language()
    country = data.get("country", "")
    return {
        "party": escape(data.get("party", "")),
        "country": f"{flag(country)} {country_name(country, language)}" if country else "",
        "size": _("no limit") if data.get("max_size") is None else str(data["max_size"]),
    }


async def _confirm_getter(dialog_manager: DialogManager, **_kw) -> dict:
    return _invitation(dialog_manager)


async def _on_create(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    data = manager.dialog_data
    if "token" not in data:  # a double press creates one delegation
        services = services_of(manager)
        delegation = await services.delegations.create(
            data["party"], data["country"], data.get("max_size"), callback.from_user.id, services.clock.now()
        )
        data["token"], data["delegation_id"] = delegation.token, delegation.id
        await services.staff.audit(callback.from_user.id, "delegation.create", f"delegation:{delegation.id}")
    await manager.switch_to(InviteSG.done)


async def _done_getter(dialog_manager: DialogManager, bot: Bot, **_kw) -> dict:
    link = await invite_link(bot, dialog_manager.dialog_data["token"])
    return {**_invitation(dialog_manager), "link": link}


async def _another(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data.clear()
    await manager.switch_to(InviteSG.party)


def invite_dialog() -> Dialog:
    return staff_only(
        Dialog(
            Window(
                T(N_("👥 <b>New delegation</b>\n\nWhich party or organisation sends it? Type its name.")),
                TextInput(id="party", on_success=_on_party),
                CLOSE,
                UNEXPECTED_INPUT,
                state=InviteSG.party,
            ),
            Window(
                T(N_("Which country does <b>{party}</b> come from? Pick it below or type its name.")),
                TextInput(id="country", on_success=_on_country_text),
                choices("c", "countries", _on_country),
                Row(SwitchTo(back_text(), id="back", state=InviteSG.party), CLOSE),
                UNEXPECTED_INPUT,
                state=InviteSG.country,
                getter=_country_getter,
            ),
            Window(
                T(
                    N_(
                        "How many members may the delegation have at most? Pick a number, type one, or choose no limit."
                    )
                ),
                TextInput(id="size", on_success=_on_size_text),
                choices("n", "sizes", _on_size, width=4),
                Button(T(N_("No limit")), id="nolimit", on_click=_no_limit),
                Row(SwitchTo(back_text(), id="back", state=InviteSG.country), CLOSE),
                UNEXPECTED_INPUT,
                state=InviteSG.size,
                getter=_size_getter,
            ),
            Window(
                T(
                    N_(
                        "👥 <b>New delegation</b>\n\nParty: {party}\nCountry: {country}\nMembers at most: {size}\n\n"
                        "Create it and get its invitation link?"
                    )
                ),
                Button(T(N_("✅ Create")), id="create", on_click=_on_create),
                Row(SwitchTo(back_text(), id="back", state=InviteSG.size), CLOSE),
                UNEXPECTED_INPUT,
                state=InviteSG.confirm,
                getter=_confirm_getter,
            ),
            Window(
                T(
                    N_(
                        "✅ <b>Delegation created</b>: {party}, {country}, members at most: {size}.\n\n"
                        "Send this link to its members. Whoever registers through it joins the delegation; "
                        "the first one leads it (you can designate another head in /delegations).\n\n{link}"
                    )
                ),
                Button(T(N_("➕ Another delegation")), id="another", on_click=_another),
                CLOSE,
                UNEXPECTED_INPUT,
                state=InviteSG.done,
                getter=_done_getter,
            ),
        )
    )


# --- /delegations -------------------------------------------------------------------------------


async def _list_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    summaries = await services.delegations.summaries()
    pages = max(1, -(-len(summaries) // PAGE))
    page = min(dialog_manager.dialog_data.get("page", 0), pages - 1)
    shown = summaries[page * PAGE : (page + 1) * PAGE]
    lines = [
        f"{page * PAGE + number}. {delegation_name(s.delegation, language)}\n"
        f"    {size_text(s.size, s.delegation.max_size)}{SEPARATOR}{balance_text(s.balance)}"
        for number, s in enumerate(shown, start=1)
    ]
    return {
        "count": len(summaries),
        "members": sum(s.size for s in summaries),
        "balanced": sum(s.balance.balanced for s in summaries if s.size),
        "unbalanced": sum(not s.balance.balanced for s in summaries),
        "lines": "\n".join(lines),
        "items": [
            (
                str(s.delegation.id),
                f"{page * PAGE + number}. {flag(s.delegation.country)} {s.delegation.party}",
            )
            for number, s in enumerate(shown, start=1)
        ],
        "page": f"{page + 1}/{pages}",
        "has_pages": pages > 1,
        "previous": arrow("previous"),
        "next": arrow("next"),
        "empty": not summaries,
        "listed": bool(summaries),
    }


async def _turn(manager: DialogManager, step: int) -> None:
    manager.dialog_data["page"] = max(0, manager.dialog_data.get("page", 0) + step)


async def _previous(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _turn(manager, -1)


async def _next(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _turn(manager, 1)


async def _open(callback: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    services = services_of(manager)
    if not value.isdigit() or await services.delegations.get(int(value)) is None:
        await callback.answer(_("This delegation no longer exists."))
        return
    manager.dialog_data["open"] = int(value)
    await services.staff.audit(callback.from_user.id, "delegation.roster", f"delegation:{value}")
    await manager.switch_to(DelegationsSG.detail)


async def _detail_getter(dialog_manager: DialogManager, services: Services, bot: Bot, **_kw) -> dict:
    language = current_language()
    roster = await services.delegations.roster(dialog_manager.dialog_data.get("open", 0))
    if roster is None:
        return {"roster": _("This delegation no longer exists."), "link": "", "members": []}
    head_id = roster.head.id if roster.head else None
    return {
        "roster": roster_text(roster, services.event, language),
        "link": await invite_link(bot, roster.delegation.token),
        "members": [
            (str(member.id), "👑 " + (member.full_name or "")[:40])
            for member in roster.members
            if member.id != head_id
        ][:40],
    }


async def _designate(callback: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    services = services_of(manager)
    delegation_id = manager.dialog_data.get("open", 0)
    head = await services.delegations.designate_head(delegation_id, int(value)) if value.isdigit() else None
    if head is None:
        await callback.answer(_("This person is no longer a member."))
        return
    await services.staff.audit(callback.from_user.id, "delegation.head", f"registration:{head.id}")
    await callback.answer(_("{name} now leads the delegation.").format(name=(head.full_name or "")[:60]))


async def _back_to_list(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("open", None)
    await manager.switch_to(DelegationsSG.list)


def delegations_dialog() -> Dialog:
    return staff_only(
        Dialog(
            Window(
                T(
                    N_(
                        "👥 <b>Delegations</b>: {count} · members: {members}\n"
                        "✅ balanced: {balanced}{sep}⚠️ unbalanced: {unbalanced}\n\n{lines}"
                    ),
                    when="listed",
                ),
                T(N_("No delegation yet. Create one with /invite."), when="empty"),
                choices("d", "items", _open, width=1),
                Row(
                    Button(Format("{previous}"), id="prev", on_click=_previous),
                    Button(Format("{page}"), id="pageno"),
                    Button(Format("{next}"), id="next", on_click=_next),
                    when="has_pages",
                ),
                CLOSE,
                UNEXPECTED_INPUT,
                state=DelegationsSG.list,
                getter=_list_getter,
            ),
            Window(
                T(N_("{roster}\n\n🔗 Invitation link: {link}")),
                T(N_("\n\nTap a member to make them the head of the delegation.")),
                choices("h", "members", _designate, width=1),
                Row(
                    Button(WithArrow("back", N_("All delegations")), id="list", on_click=_back_to_list), CLOSE
                ),
                UNEXPECTED_INPUT,
                state=DelegationsSG.detail,
                getter=_detail_getter,
            ),
            getter=_common_getter,
        )
    )


async def _common_getter(**_kw) -> dict:
    return {"sep": SEPARATOR}
