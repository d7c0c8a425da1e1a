"""Security: staff-only commands and buttons, other people's buttons, escaping, tokens, exports."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import Update
from aiogram_dialog.utils import CB_SEP
from sqlalchemy import text

from bot.core.models import RegistrationStatus
from bot.delegations.service import new_invite_token
from bot.registration.service import new_checkin_token
from bot.staff.export import ExportCB
from bot.staff.export_service import ExportFormat
from tests.support.app import App
from tests.support.chat import Chat, buttons_of, keyboards
from tests.support.dialogue_paths import PATHS, registered
from tests.support.walk import S, Typed, register, stored

ADMIN = 900
NO_LONGER_ACTIVE = "This button is no longer active."
# What a copy of the database shows, without the dialogue state of whoever is chatting.
SNAPSHOT_SKIPS = ("dialog_state", "processed_update")


async def snapshot(engine) -> list[str]:
    from sqlmodel import SQLModel

    rows = []
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in SNAPSHOT_SKIPS:
                result = await connection.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1'))
                rows += [f"{table.name}: {tuple(row)}" for row in result]
    return rows


# -- discovering the staff commands and buttons ---------------------------------------------


def routers(router: Router, chain: tuple[Router, ...] = ()) -> list[tuple[Router, tuple[Router, ...]]]:
    chain = (*chain, router)
    found = [(router, chain)]
    for sub in router.sub_routers:
        found += routers(sub, chain)
    return found


def handlers(dp, observer: str) -> list[tuple[list[FilterObject], HandlerObject]]:
    """Every handler of that kind of event, with the filters of its routers in front."""
    found = []
    for router, chain in routers(dp):
        outer = [f for r in chain for f in r.observers[observer]._handler.filters or []]
        found += [(outer, handler) for handler in router.observers[observer].handlers]
    return found


async def passes(filters: list[FilterObject], event: Any, data: dict[str, Any]) -> bool:
    for check in filters:
        if isinstance(check.callback, Command | CallbackQueryFilter):
            continue  # the command or button itself: it matches by construction
        if not await check.call(event, **data):
            return False
    return True


def event_data(app: App, update: Update) -> dict[str, Any]:
    event = update.event
    return {
        **app.dp.workflow_data,
        "bot": app.bot,
        "event_from_user": event.from_user,
        "event_chat": event.message.chat if update.callback_query else event.chat,
    }


def commands_of(handler: HandlerObject) -> set[str]:
    return {
        name
        for check in handler.filters or []
        if isinstance(check.callback, Command)
        for name in check.callback.commands
        if isinstance(name, str)
    }


async def refused_commands(app: App, chat: Chat) -> set[str]:
    """Commands some handler takes that the delegate's private message cannot reach."""
    allowed, refused = set(), set()
    for outer, handler in handlers(app.dp, "message"):
        for name in commands_of(handler):
            update = Update.model_validate(
                app.fake.message_update(chat.user_id, f"/{name}"), context={"bot": app.bot}
            )
            reachable = await passes(
                [*outer, *(handler.filters or [])], update.message, event_data(app, update)
            )
            (allowed if reachable else refused).add(name)
    return refused - allowed


def sample_value(annotation: Any, ids: list[int]) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    if annotation is bool:
        return [True]
    if annotation is int:
        return ids
    return ["pause", "stop", "x"]


async def refused_buttons(app: App, chat: Chat, ids: list[int]) -> list[str]:
    """Packed data for every CallbackData filtered on by a handler the delegate cannot reach."""
    samples = []
    for outer, handler in handlers(app.dp, "callback_query"):
        for check in handler.filters or []:
            if not isinstance(check.callback, CallbackQueryFilter):
                continue
            factory: type[CallbackData] = check.callback.callback_data
            fields = list(factory.model_fields.items())
            columns = [sample_value(field.annotation, ids) for _name, field in fields]
            for values in zip(*(column * 3 for column in columns), strict=False):
                data = factory(
                    **{name: value for (name, _f), value in zip(fields, values, strict=True)}
                ).pack()
                update = Update.model_validate(
                    app.fake.callback_update(chat.user_id, chat.last.message_id, data, check_button=False),
                    context={"bot": app.bot},
                )
                chain = [*outer, *(handler.filters or [])]
                if not await passes(chain, update.callback_query, event_data(app, update)):
                    samples.append(data)
    return samples


async def reply_to_press(chat: Chat, data: str) -> tuple[str | None, int]:
    """What a press gets: the callback's answer, and how many messages came with it."""
    count = chat.size
    await chat.press_data(chat.last.message_id, data)
    return chat.fake.calls_of("answerCallbackQuery")[-1].params.get("text"), chat.size - count


async def test_staff_commands_and_buttons_are_refused_to_others(app, engine):
    victim = app.chat(2001)
    await registered(victim)
    [target] = await stored(engine)
    delegate = app.chat(2002)
    await registered(delegate)
    staff_buttons = []  # the buttons staff see in their dialogues, whoever opened them
    for state, (path, admin) in PATHS.items():
        if admin:
            staff_chat = app.chat(ADMIN)
            await path(staff_chat)
            for message in keyboards(staff_chat)[:1]:  # reply keyboards send text, not data
                staff_buttons += [(state, data) for data in buttons_of(message)]
            await staff_chat.send("/start")
    before = await snapshot(engine)

    count = delegate.size
    await delegate.send("/frobnicate")
    unknown_command = delegate.texts_since(count)
    commands = await refused_commands(app, delegate)
    assert {"export", "find", "checkin", "headcount", "broadcast", "staff", "purge"} <= commands, commands
    for name in sorted(commands):
        count = delegate.size
        await delegate.send(f"/{name}")
        await delegate.send(f"/{name} {target.code} csv passports")
        assert delegate.texts_since(count) == unknown_command * 2, name

    unknown_button = await reply_to_press(delegate, "nonsense:1")
    samples = await refused_buttons(app, delegate, [target.id, 1])
    assert {"scard", "scheckin", "sexport", "bc"} <= {data.split(":")[0] for data in samples}, samples
    for data in samples:
        assert await reply_to_press(delegate, data) == unknown_button, data

    stale_button = await reply_to_press(delegate, f"XXXXXX{CB_SEP}yes")
    assert stale_button[0] == NO_LONGER_ACTIVE  # the delegate chose English
    assert len(staff_buttons) > 20
    for state, data in staff_buttons:
        # A dialogue's button is stale for them; the staff home's (/start) is like a made-up one.
        expected = stale_button if CB_SEP in data else unknown_button
        assert await reply_to_press(delegate, data) == expected, (state, data)

    assert await snapshot(engine) == before, "nothing changed"


# -- other people's buttons -------------------------------------------------------------------


async def test_another_delegates_buttons_act_on_nothing(app, engine):
    victim = app.chat(2001)
    await registered(victim)
    await victim.tap("withdraw")  # the victim's confirmation is open: its buttons are live
    victim_buttons = buttons_of(victim.last)
    attacker = app.chat(2002)
    await registered(attacker)
    before = await snapshot(engine)
    for data in victim_buttons:
        assert await reply_to_press(attacker, data) == (NO_LONGER_ACTIVE, 1), data
    assert await snapshot(engine) == before
    [mine, theirs] = await stored(engine)
    assert mine.status == theirs.status == RegistrationStatus.REGISTERED
    await victim.tap("no")  # and the victim's own buttons still work
    assert "Your registration" in victim.last_text


# -- user text is escaped wherever it is shown ---------------------------------------------

NASTY = {
    "full_name": "Ana O'Reyes",  # names refuse < > & (bot/core/input_checks.py)
    "organisation": "<script>alert('x')</script> & Partners",
    "position": "</b>Chief & <i>Officer",
    "email": "a&b@example.org",
    "accessibility": "a < b > c & <tg-spoiler>d</tg-spoiler>",
}


async def test_typed_values_are_escaped_in_every_view(app, engine):
    """The fake Bot API parses every HTML message like Telegram: an unescaped value is a
    violation, and the delegate or staff must read exactly what was typed."""
    chat = app.chat(2001)
    typed = {**NASTY, "accessibility": Typed(NASTY["accessibility"])}
    await register(chat, until=S.review, arrival_date="skip", **typed)
    views = {"review": chat.last_text}
    await chat.tap("confirm")
    await chat.send("/me")
    views["/me"] = chat.last_text
    await chat.send("/mydata")
    views["/mydata"] = chat.texts_since(chat.size - 3)[0]
    [registration] = await stored(engine)

    staff = app.chat(ADMIN)
    await staff.send("/find Reyes")
    views["/find"] = staff.last_text
    await staff.press(NASTY["full_name"][:10])
    views["card"] = staff.last_text
    await staff.send(f"/checkin {registration.code}")
    views["/checkin"] = staff.last_text
    await staff.send("/find <b>nobody</b> & co")
    assert staff.last_text == "Nobody found for “<b>nobody</b> & co”."

    for view, shown in views.items():
        assert NASTY["full_name"] in shown, view
    for field, value in NASTY.items():
        for view in ("review", "/me", "/mydata"):
            assert value in views[view], (field, view)
    assert not app.fake.violations


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_are_unguessable():
    for make in (new_checkin_token, new_invite_token):
        tokens = {make() for _ in range(2000)}
        assert len(tokens) == 2000
        for token in list(tokens)[:50]:
            assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 16, "128 bits"


async def test_tokens_are_single_purpose(app, engine):
    delegate = app.chat(2001)
    await registered(delegate)
    [registration] = await stored(engine)
    delegation = await app.dp["services"].delegations.create(
        "Akbayan", "PH", None, ADMIN, app.dp["services"].clock.now()
    )
    staff = app.chat(ADMIN)

    await staff.send(f"/start inv_{registration.checkin_token}")
    assert "not valid" in staff.texts_since(staff.size - 2)[0]
    await staff.send(f"/start ci_{delegation.token}")
    assert "No registration has this QR code" in staff.last_text
    await delegate.send(f"/start ci_{registration.checkin_token}")  # not staff: learns nothing
    assert "not valid" in delegate.texts_since(delegate.size - 2)[0]
    await delegate.send(f"/start inv_{registration.checkin_token}")
    assert "not valid" in delegate.texts_since(delegate.size - 2)[0]
    [unchanged] = await stored(engine)
    assert unchanged.checked_in_at is None and unchanged.delegation_id is None

    await staff.send(f"/start ci_{registration.checkin_token}")  # what it is for
    [checked_in] = await stored(engine)
    assert checked_in.checked_in_at is not None


# -- exports ----------------------------------------------------------------------------------


async def test_exports_only_reach_staff_in_private(app, engine):
    await registered(app.chat(2001))
    group = -100_777
    app.fake.user(ADMIN)
    await app.chat(ADMIN).feed(app.fake.group_message_update(group, ADMIN, "/export csv"))
    assert app.fake.calls_of("sendDocument") == []
    assert "private chat" in app.fake.chat(group)[-1].text

    posted = await app.bot.send_message(group, "Which file?")  # a forged export button there
    await app.chat(ADMIN).feed(
        app.fake.callback_update(
            ADMIN,
            posted.message_id,
            ExportCB(format=ExportFormat.CSV).pack(),
            check_button=False,
            chat_id=group,
        )
    )
    assert app.fake.calls_of("sendDocument") == []

    staff = app.chat(ADMIN)
    await staff.send("/export csv")
    [document] = app.fake.calls_of("sendDocument")
    assert document.params["chat_id"] == ADMIN
