"""End to end, staff side: delegations and their balance, headcounts, exports, check-in and roles,
driven through the fake Bot API as organisers, staff and delegates would use the bot."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from aiogram_dialog.utils import CB_SEP
from openpyxl import load_workbook
from sqlmodel import select

from bot.core.db import create_session_factory
from bot.core.models import AuditEntry, Registration, RegistrationStatus
from bot.staff.checkin import CardCB, CheckinCB
from bot.staff.commands import staff_router
from bot.staff.export import ExportCB
from bot.staff.export_service import ExportFormat
from tests.support import walk
from tests.support.app import EVENT_FILE, App, make_settings
from tests.support.chat import Chat, scan_ticket

ADMIN = 900  # in ADMIN_IDS (tests/support/app.py)
STAFF = 950  # granted the staff role in the tests that need it
OUTSIDER = 1999  # a delegate, never staff


async def rows(engine, model=Registration) -> list:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(model))).all())


async def by_name(engine, name: str) -> Registration:
    return next(r for r in await rows(engine) if r.full_name == name)


async def invite(admin: Chat, party: str = "Akbayan", country: str = "c:PH", size: str = "n:4") -> str:
    """The staff member creates a delegation; the payload of its invitation link."""
    await admin.send("/invite")
    await admin.send(party)
    await admin.tap(country)
    await admin.tap(size)
    await admin.tap("create")
    link = re.search(r"https://t\.me/test_bot\?start=(\S+)", admin.last_text)
    assert link, admin.last_text
    return link[1]


async def register(
    chat: Chat,
    name: str,
    gender: str,
    start: str = "/start",
    hotel: bool = False,
    arrival: tuple[str, str] | None = None,
    dietary: str | None = None,
    passport: str | None = None,
) -> None:
    """A full registration; through an invitation the party and country are not asked."""
    invited = start != "/start"
    answers: dict[str, walk.AnswerLike] = {
        "full_name": name,
        "gender": f"o:{gender}",
        "email": f"{name.split()[0].lower()}@example.org",
        "arrival_date": f"d:{arrival[0]}" if arrival else "skip",
        "hotel": "yes" if hotel else "no",
    }
    if invited:
        # Filled in by the invitation (its delegation is from the Philippines).
        answers |= {"country": walk.Given("PH"), "organisation": None}
    if arrival:
        answers["arrival_time"] = arrival[1]
    if passport:  # from abroad: the visa letter is not asked of the host country's nationals
        answers |= {"visa": "yes", "passport": passport, **({} if invited else {"country": "c:ID"})}
    if dietary:
        answers["dietary"] = (walk.Tap(f"m:{dietary}"), walk.Tap("done"))
    await walk.register(chat, start=start, **answers)


def strict_event_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(EVENT_FILE.read_text(encoding="utf-8"))
    data["gender_balance"] = "require"
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- delegations and balance ------------------------------------------------------------------


async def test_invited_delegation_registers_and_its_balance_is_reported(app, engine):
    admin = app.chat(ADMIN, first_name="Olga")
    payload = await invite(admin, party="Akbayan <Citizens> & Co", size="n:4")
    assert payload.startswith("inv_") and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)

    ana = app.chat(1001, first_name="Ana")
    await ana.send(f"/start {payload}")
    invitation = ana.texts_since(0)[-2]
    assert "Akbayan <Citizens> & Co" in invitation and "balanced between women and men" in invitation
    await ana.send("/start")  # the registration is still where it was
    await register(ana, "Ana Reyes", "woman", start=f"/start {payload}")
    ana_reg = await by_name(engine, "Ana Reyes")
    assert (ana_reg.organisation, ana_reg.country) == ("Akbayan <Citizens> & Co", "PH")
    assert ana_reg.delegation_id is not None
    assert any("You lead this delegation" in text for text in ana.texts_since(0))

    ben = app.chat(1002, first_name="Ben")
    before = ana.size
    await register(ben, "Ben Cruz", "man", start=f"/start {payload}")
    news = "\n".join(ana.texts_since(before))
    assert "Ben Cruz joined your delegation" in news and "✅ Women: 1 · Men: 1" in news
    assert "Its head is Ana Reyes" in "\n".join(ben.texts_since(0))

    for user, name in ((1003, "Carl Dizon"), (1004, "Dan Uy")):
        await register(app.chat(user, first_name=name), name, "man", start=f"/start {payload}")
    news = "\n".join(ana.texts_since(before))
    assert "⚠️ Women: 1 · Men: 3" in news and "The organisers ask for delegations balanced" in news

    await ana.send("/delegation")
    roster = ana.last_text
    for name in ("Ana Reyes", "Ben Cruz", "Carl Dizon", "Dan Uy"):
        assert name in roster
    assert "Members: 4 of 4" in roster and "⚠️" in roster and "balanced between women and men" in roster
    await ben.send("/delegation")
    assert "Ana Reyes" in ben.last_text and "Carl Dizon" not in ben.last_text  # the roster is the head's

    eve = app.chat(1005, first_name="Eve")
    await eve.send(f"/start {payload}")
    assert "already complete (4 members)" in eve.last_text
    assert len(await rows(engine)) == 4

    await admin.send("/delegations")
    listing = admin.last_text
    assert "Akbayan" in listing and "Members: 4 of 4" in listing and "⚠️ Women: 1 · Men: 3" in listing
    await admin.tap(f"d:{ana_reg.delegation_id}")
    assert "Dan Uy" in admin.last_text and payload in admin.last_text
    dan = await by_name(engine, "Dan Uy")
    await admin.tap(f"h:{dan.id}")
    assert (await by_name(engine, "Dan Uy")).delegation_head
    await app.chat(1004).send("/delegation")
    assert "Ana Reyes" in app.chat(1004).last_text and "Members: 4 of 4" in app.chat(1004).last_text
    actions = {entry.action for entry in await rows(engine, AuditEntry)}
    assert {"delegation.create", "delegation.roster", "delegation.head"} <= actions


async def test_required_balance_keeps_registrations_pending_until_balanced(fake, engine, tmp_path):
    settings = make_settings(telegram_api_base=fake.base_url, event_file=strict_event_file(tmp_path))
    from bot.app import build_bot, build_dispatcher

    app = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    payload = await invite(app.chat(ADMIN), size="n:6")
    first, second = app.chat(1011), app.chat(1012)
    await register(first, "Rafael Santos", "man", start=f"/start {payload}")
    await register(second, "Tomas Lim", "man", start=f"/start {payload}")
    assert "require a balance between women and men" in "\n".join(second.texts_since(0))
    assert (await by_name(engine, "Tomas Lim")).status == RegistrationStatus.PENDING
    assert "pending until the delegation is balanced" in "\n".join(first.texts_since(0))
    before = second.size
    await register(app.chat(1013), "Luz Garcia", "woman", start=f"/start {payload}")
    assert (await by_name(engine, "Tomas Lim")).status == RegistrationStatus.REGISTERED
    assert any("now balanced" in text for text in second.texts_since(before))
    await app.bot.session.close()


async def test_registered_delegate_joins_with_the_link_and_repeats_are_harmless(app, engine):
    payload = await invite(app.chat(ADMIN))
    ana = app.chat(1001)
    await register(ana, "Ana Reyes", "woman")
    assert (await by_name(engine, "Ana Reyes")).delegation_id is None
    await ana.send(f"/start {payload}")
    assert "You are a member of the delegation" in ana.last_text
    await ana.send(f"/start {payload}")
    assert "already a member" in ana.last_text
    other = await invite(app.chat(ADMIN), party="Other party")
    await ana.send(f"/start {other}")
    assert "registered with another delegation" in ana.last_text
    assert len(await rows(engine)) == 1


# --- headcount, find, exports -----------------------------------------------------------------


async def test_headcount_text_and_chart(app, engine):
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    await register(app.chat(1001), "Ana Reyes", "woman", hotel=True, arrival=("2024-07-29", "14:35"))
    await register(app.chat(1002), "Ben Cruz", "man", dietary="halal")
    staff = app.chat(STAFF, first_name="Sam")
    await staff.send("/headcount")
    text = "\n".join(staff.texts_since(0))
    for expected in ("Headcount", "registered <b>2</b>", "Checked in: <b>0</b> of 2", "Philippines <b>2</b>"):
        assert expected.replace("<b>", "").replace("</b>", "") in text
    assert "Hotel nights" in text and "2:00\u202fPM 1" in text and "Halal 1" in text
    photo = app.fake.calls_of("sendPhoto")[-1]
    assert photo.params["chat_id"] == STAFF and next(iter(photo.files.values())).startswith(b"\x89PNG")
    assert all(len(call.params.get("text", "")) <= 4096 for call in app.fake.calls_of("sendMessage"))

    # Check-ins show at once.
    ana = await by_name(engine, "Ana Reyes")
    await staff.send(f"/checkin {ana.code}")
    await staff.send("/headcount")
    assert "Checked in: 1 of 2 (50%)" in "\n".join(staff.texts_since(0))


async def test_find_opens_a_card(app, engine):
    await register(app.chat(1001), "José Núñez", "man")
    admin = app.chat(ADMIN)
    await admin.send("/find jose nunez")
    assert "José Núñez" in admin.last_text
    jose = await by_name(engine, "José Núñez")
    await admin.tap(CardCB(registration_id=jose.id).pack())
    card = admin.last_text
    assert "José Núñez" in card and jose.code in card and "josé@example.org" in card
    await admin.send("/find")
    assert "Type /find" in admin.last_text
    await admin.send("/find <b>nobody</b>")
    assert "Nobody found" in admin.last_text
    assert "&lt;b&gt;" in app.fake.calls_of("sendMessage")[-1].params["text"]
    audit = await rows(engine, AuditEntry)
    assert {"find", "card.view"} <= {entry.action for entry in audit}
    # Ids only: no name, email or search text in the audit log.
    assert "José" not in repr([(e.subject, e.details) for e in audit])


async def test_the_export_caption_counts_in_the_staff_language(app, engine):
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    await register(app.chat(1001), "Ana Reyes", "woman")
    staff = app.chat(STAFF, language_code="fr")
    await staff.send("/export csv")
    assert app.fake.calls_of("sendDocument")[-1].params["caption"].startswith("1 inscription, ")
    await register(app.chat(1002), "Ben Cruz", "man")
    await staff.send("/export csv")
    assert app.fake.calls_of("sendDocument")[-1].params["caption"].startswith("2 inscriptions, ")


async def test_xlsx_and_csv_exports_in_the_private_chat(app, engine):
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    await register(app.chat(1001), "Ana Reyes", "woman", passport="P1234567")
    await register(app.chat(1002), "Ben Cruz", "man")
    staff = app.chat(STAFF)
    await staff.send("/export")
    assert "sexport:xlsx:1" not in "".join(staff.button_data()), "passports are for admins only"
    await staff.tap(ExportCB(format=ExportFormat.XLSX).pack())
    document = app.fake.calls_of("sendDocument")[-1]
    assert document.params["chat_id"] == STAFF and "2 registrations" in document.params["caption"]
    sheet = load_workbook(io.BytesIO(next(iter(document.files.values())))).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(table) == 3 and "Full name" in table[0] and "Passport number" not in table[0]
    assert {row[table[0].index("Full name")] for row in table[1:]} == {"Ana Reyes", "Ben Cruz"}
    assert "P1234567" not in repr(table)

    await staff.send("/export csv")
    document = app.fake.calls_of("sendDocument")[-1]
    assert document.filenames and next(iter(document.filenames.values())).endswith(".csv")
    lines = list(csv.reader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    assert len(lines) == 3 and "Country (code)" in lines[0]

    await staff.send("/export passports")
    assert "Only organisers with full rights" in staff.last_text
    # A forged passport button changes nothing for staff who are not admins.
    exports = len(app.fake.calls_of("sendDocument"))
    message = staff.last.message_id
    await staff.press_data(message, ExportCB(format=ExportFormat.XLSX, passports=True).pack())
    assert len(app.fake.calls_of("sendDocument")) == exports

    admin = app.chat(ADMIN)
    await admin.send("/export")
    await admin.tap(ExportCB(format=ExportFormat.XLSX, passports=True).pack())
    document = app.fake.calls_of("sendDocument")[-1]
    sheet = load_workbook(io.BytesIO(next(iter(document.files.values())))).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = table[0].index("Passport number")
    assert {row[column] for row in table[1:]} == {"P1234567", None}
    exports = [e for e in await rows(engine, AuditEntry) if e.action == "export"]
    assert [(e.actor_id, e.details["passports"]) for e in exports] == [
        (STAFF, False),
        (STAFF, False),
        (ADMIN, True),
    ]


async def test_staff_commands_are_refused_in_groups(app):
    group = -100777
    await app.chat(ADMIN).feed(app.fake.group_message_update(group, ADMIN, "/export"))
    reply = app.fake.last_message(group)
    assert reply is not None and "only in our private chat" in reply.text
    assert app.fake.calls_of("sendDocument") == []
    await app.chat(OUTSIDER).feed(app.fake.group_message_update(group, OUTSIDER, "/headcount"))
    assert app.fake.last_message(group) is reply, "a non-staff member gets nothing in a group"


# --- check-in ---------------------------------------------------------------------------------


async def test_scanned_qr_checks_in_once_and_tells_others_nothing(app, engine):
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    ana_chat = app.chat(1001)
    await register(ana_chat, "Ana Reyes", "woman", dietary="halal")
    ana = await by_name(engine, "Ana Reyes")
    caption = app.fake.calls_of("sendPhoto")[-1].params["caption"]
    assert ana.code in caption
    link = scan_ticket(app.fake)
    assert link.endswith(f"?start=ci_{ana.checkin_token}")
    scan = "/start " + link.partition("?start=")[2]  # what Telegram sends when the link is opened

    admin = app.chat(ADMIN, first_name="Olga")
    await admin.send(scan)
    assert "Checked in" in admin.last_text and "Ana Reyes" in admin.last_text and "Halal" in admin.last_text
    first = await by_name(engine, "Ana Reyes")
    assert first.checked_in_by == ADMIN and first.checked_in_at is not None

    staff = app.chat(STAFF, first_name="Sam")
    await staff.send(scan)
    assert (
        "Already checked in" in staff.last_text
        and f"tg://user?id={ADMIN}" in app.fake.calls_of("sendMessage")[-1].params["text"]
    )
    assert (await by_name(engine, "Ana Reyes")).checked_in_at == first.checked_in_at

    # A delegate who scans it learns nothing: the same answer as a link that never existed.
    outsider = app.chat(OUTSIDER)
    before = outsider.size
    await outsider.send(scan)
    scanned = outsider.texts_since(before)
    await outsider.send("/start ci_AAAAAAAAAAAAAAAAAAAAAA")
    assert outsider.texts_since(before + len(scanned) + 1) == scanned
    assert "Ana" not in "\n".join(scanned)
    await ana_chat.send(scan)  # the delegate's own code is no different
    assert "Ana Reyes" not in ana_chat.texts_since(ana_chat.size - 2)[0]


async def test_check_in_by_code_and_withdrawn_delegates(app, engine):
    ana_chat, ben_chat = app.chat(1001), app.chat(1002)
    await register(ana_chat, "Ana Reyes", "woman")
    await register(ben_chat, "Ben Cruz", "man")
    ana, ben = await by_name(engine, "Ana Reyes"), await by_name(engine, "Ben Cruz")
    admin = app.chat(ADMIN)
    await admin.send(f"/checkin {ana.code.lower().replace('-', '')}")
    assert "Checked in" in admin.last_text
    await admin.send("/checkin zzz999")
    assert "No registration has the code ZZZ-999" in admin.last_text
    await admin.send("/checkin")
    assert "scan the delegate's QR code" in admin.last_text
    await ben_chat.send("/me")
    await ben_chat.tap("withdraw")
    await ben_chat.tap("yes")
    await admin.send(f"/checkin {ben.code}")
    assert "Not checked in" in admin.last_text and "withdrawn" in admin.last_text
    assert (await by_name(engine, "Ben Cruz")).checked_in_at is None
    # From a card found with /find.
    await register(app.chat(1003), "Carl Dizon", "man")
    carl = await by_name(engine, "Carl Dizon")
    await admin.send("/find carl")
    await admin.tap(CardCB(registration_id=carl.id).pack())
    await admin.tap(CheckinCB(registration_id=carl.id).pack())
    assert "Checked in" in admin.last_text and (await by_name(engine, "Carl Dizon")).checked_in_by == ADMIN
    checkins = [e for e in await rows(engine, AuditEntry) if e.action == "checkin"]
    assert {e.subject for e in checkins} == {f"registration:{r.id}" for r in (ana, ben, carl)}


# --- roles ------------------------------------------------------------------------------------


def users_shared(app: App, admin: int, user_id: int, first_name: str) -> dict:
    shared = {"request_id": 1, "users": [{"user_id": user_id, "first_name": first_name}]}
    return app.fake._user_message(admin, {"users_shared": shared})


async def test_admin_grants_and_revokes_staff_and_menus_follow(app, engine):
    menus = app.dp["services"].menus
    await menus.install(app.bot)
    staff_menu = app.fake.my_commands({"type": "chat", "chat_id": ADMIN})
    assert [c["command"] for c in staff_menu][-3:] == ["questions", "staff", "purge"]
    assert "headcount" in str(staff_menu)
    assert app.fake.my_commands({"type": "chat", "chat_id": ADMIN}, "fr"), "a menu in each language"

    sam = app.chat(STAFF, first_name="Sam")
    await sam.send("/start")  # Sam has started the bot
    admin = app.chat(ADMIN)
    await admin.send("/staff")
    assert "nobody yet" in admin.last_text
    await admin.tap("add")
    keyboard = app.fake.reply_keyboard(ADMIN)
    assert keyboard["keyboard"][0][0]["request_users"]["request_id"] == 1

    app.fake.blocked_chats.add(1777)  # never started the bot
    before = admin.size
    await admin.feed(users_shared(app, ADMIN, 1777, "Nobody"))
    assert "Nobody is now staff, but they have not been told" in admin.texts_since(before)[0]
    assert await app.dp["services"].staff.is_staff(1777)
    await admin.tap("add")

    await admin.feed(users_shared(app, ADMIN, STAFF, "Sam"))
    assert await app.dp["services"].staff.is_staff(STAFF)
    assert any("You are now part of the staff" in text for text in sam.texts_since(0))
    assert "headcount" in str(app.fake.my_commands({"type": "chat", "chat_id": STAFF}))
    staff_commands = [c["command"] for c in app.fake.my_commands({"type": "chat", "chat_id": STAFF})]
    assert "questions" in staff_commands and not {"staff", "purge"} & set(staff_commands)
    assert app.fake.reply_keyboard(ADMIN) is None, "the picker keyboard is taken away"
    await sam.send("/headcount")
    assert "Headcount" in sam.texts_since(sam.size - 3)[0]
    before = sam.size
    await sam.send("/staff")
    assert "do not know this command" in sam.texts_since(before)[0]  # admins only

    # By typed id, and by a forwarded message.
    await app.chat(1888).send("/start")
    await admin.send("/staff")
    await admin.tap("add")
    before = admin.size
    await admin.send("1888")
    assert await app.dp["services"].staff.is_staff(1888)
    assert "..." not in admin.texts_since(before), "the keyboard goes with the confirmation"
    await admin.send("/staff")
    await admin.tap("add")
    origin = {"type": "hidden_user", "date": 0, "sender_user_name": "Someone"}
    await admin.feed(app.fake._user_message(ADMIN, {"text": "hi", "forward_origin": origin}))
    assert "does not show who wrote it" in "\n".join(admin.texts_since(admin.size - 3))

    await admin.send("/staff")
    await admin.tap(f"r:{STAFF}")
    await admin.tap("yes")
    assert not await app.dp["services"].staff.is_staff(STAFF)
    assert app.fake.my_commands({"type": "chat", "chat_id": STAFF}) == []
    before = sam.size
    await sam.send("/headcount")
    assert "do not know this command" in sam.texts_since(before)[0]
    assert [e.action for e in await rows(engine, AuditEntry) if e.action.startswith("staff.")] == [
        "staff.grant",
        "staff.grant",
        "staff.grant",
        "staff.revoke",
    ]


def _router_surface() -> tuple[set[str], set[type]]:
    """Every command and every callback-data class the staff router handles."""
    commands: set[str] = set()
    callbacks: set[type] = set()
    for router in staff_router().chain_tail:  # the staff router and the routers of each tool
        for handler in router.message.handlers:
            for flt in handler.filters or []:
                commands.update(c for c in getattr(flt.callback, "commands", ()) if isinstance(c, str))
        for handler in router.callback_query.handlers:
            for flt in handler.filters or []:
                if hasattr(flt.callback, "callback_data"):
                    callbacks.add(flt.callback.callback_data)
    return commands, callbacks


async def test_non_staff_learn_nothing_from_staff_commands_or_forged_buttons(app, engine):
    await register(app.chat(1001), "Ana Reyes", "woman")
    ana = await by_name(engine, "Ana Reyes")
    commands, callbacks = _router_surface()
    assert {"headcount", "find", "checkin", "export", "invite", "delegations", "staff"} <= commands
    forged = {
        CardCB: CardCB(registration_id=ana.id),
        CheckinCB: CheckinCB(registration_id=ana.id),
        ExportCB: ExportCB(format=ExportFormat.XLSX, passports=True),
    }
    assert callbacks == set(forged), "every staff button is tried below"

    outsider = app.chat(OUTSIDER)
    before = outsider.size
    await outsider.send("/frobnicate")
    unknown = outsider.texts_since(before)
    for command in sorted(commands - {"start"}):  # everyone's /start: staff get their home
        for text in (f"/{command}", f"/{command} {ana.code}"):
            before = outsider.size
            await outsider.send(text)
            assert outsider.texts_since(before) == unknown, text

    # Forged staff buttons: nothing happens, as for any made-up button.
    message = outsider.last.message_id
    calls = len(app.fake.calls)
    await outsider.press_data(message, "nonsense")
    baseline = app.fake.calls[calls:]
    for data in forged.values():
        calls = len(app.fake.calls)
        await outsider.press_data(message, data.pack())
        assert [c.method for c in app.fake.calls[calls:]] == [c.method for c in baseline]
    # A staff dialogue's button (from an organiser's chat) is as unknown as any other.
    admin = app.chat(ADMIN)
    await admin.send("/invite")
    close = next(d for d in admin.last.inline_keyboard[0] if d["callback_data"].endswith("close"))
    before = outsider.size
    await outsider.press_data(message, "badintent" + CB_SEP + "close")
    stale = outsider.texts_since(before)
    before = outsider.size
    await outsider.press_data(message, close["callback_data"])
    assert outsider.texts_since(before) == stale

    assert (await by_name(engine, "Ana Reyes")).checked_in_at is None
    assert app.fake.calls_of("sendDocument") == []
    assert [e for e in await rows(engine, AuditEntry) if e.actor_id == OUTSIDER] == []


@pytest.mark.parametrize(
    ("language", "indonesia"), [("en", "Indonesia"), ("fr", "Indonésie"), ("th", "อินโดนีเซีย")]
)
async def test_staff_screens_read_well_in_each_language(app, engine, language, indonesia):
    """What an organiser reads in their language (country names from CLDR); the chart too, in
    English where its font cannot draw the script."""
    await register(app.chat(1001), "Ana Reyes", "woman")
    admin = app.chat(ADMIN, language_code=language)
    await admin.send("/headcount")
    assert app.fake.calls_of("sendPhoto")[-1].params["chat_id"] == ADMIN
    payload = await invite(admin, country="c:ID")
    assert indonesia in admin.last_text and payload in admin.last_text
