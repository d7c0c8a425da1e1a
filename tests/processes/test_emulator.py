"""The local emulator (`make run` without BOT_TOKEN): its launcher, its page API, and the real bot
behind it, in this process. The browser test (test_emulator_browser.py) drives the page itself."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiogram_dialog.utils import CB_SEP
from PIL import Image

from bot.app import build_bot, build_dispatcher
from bot.core.settings import PROJECT_ROOT, SettingsError
from bot.runtime.emulated import LETTER_MORNING, local_emulator
from emulator.server import GROUP_ID, Emulator, Persona
from tests.support.app import BEFORE_DEADLINE, make_settings
from tests.support.emulator import ANA, MARIE, ORGANISER, STAFF, png, qr_code
from tests.support.processes import free_port
from tests.support.walk import At, Given, S, Tap, Typed, prompt, register, stored


def emulator_settings(tmp_path: Path, **overrides: Any):
    values: dict[str, Any] = {
        "bot_token": "",
        "admin_ids": frozenset(),
        "event_clock": None,
        "emulator_port": free_port(),
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}",
    }
    return make_settings(**{**values, **overrides})


@dataclass
class Page:
    """What the web chat does, through the same HTTP API."""

    http: aiohttp.ClientSession

    async def get(self, path: str) -> Any:
        async with self.http.get(path) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.http.post(path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json() if status == 200 else await response.text()

    async def chat(self, chat_id: int) -> dict[str, Any]:
        return await self.get(f"/api/chats/{chat_id}")

    async def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in (await self.chat(chat_id))["messages"] if m["from_bot"]]

    async def wait(
        self, chat_id: int, condition: Callable[[dict[str, Any]], bool], seconds: float = 10
    ) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            chat = await self.chat(chat_id)
            if condition(chat):
                return chat
            if time.monotonic() > deadline:
                last = [m.get("text") or m.get("caption") for m in chat["messages"][-3:]]
                raise AssertionError(f"chat {chat_id} did not get there; last messages: {last}")
            await asyncio.sleep(0.05)

    async def answer(self, chat_id: int, send: Callable[[], Any]) -> dict[str, Any]:
        """Act, then wait until the bot has answered (a new message or an edit)."""
        before = json.dumps((await self.chat(chat_id))["messages"])
        await send()
        await self.wait(chat_id, lambda chat: json.dumps(chat["messages"]) != before and _settled(chat))
        # The bot may send more than one message: settled when nothing changed for a moment.
        revision = -1
        while True:
            chat = await self.chat(chat_id)
            if chat["revision"] == revision:
                return chat
            revision = chat["revision"]
            await asyncio.sleep(0.2)

    async def send(self, chat_id: int, text: str) -> dict[str, Any]:
        return await self.answer(chat_id, lambda: self.post(f"/api/chats/{chat_id}/send", {"text": text}))

    async def tap(self, chat_id: int, widget: str) -> dict[str, Any]:
        """Press the button of a dialogue widget by its data, whatever the language."""
        messages = (await self.chat(chat_id))["messages"]
        for message in reversed(messages):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("callback_data", "").split(CB_SEP, 1)[-1] == widget:
                        press = {"message_id": message["message_id"], "data": button["callback_data"]}
                        return await self.answer(
                            chat_id, lambda body=press: self.post(f"/api/chats/{chat_id}/press", body)
                        )
        raise AssertionError(f"no button {widget!r}")


@dataclass
class PageUser:
    """A persona in the page, for the walk: each action returns once the bot has answered."""

    page: Page
    chat_id: int
    language: str  # the one the persona reads the questions in

    async def send(self, text: str) -> None:
        await self.page.send(self.chat_id, text)

    async def tap(self, widget: str) -> None:
        await self.page.tap(self.chat_id, widget)

    async def asked(self, state: At) -> None:
        """Fails unless the page shows the question (the bot has answered: see `Page.answer`)."""
        question = prompt(state, self.language)
        texts = [m.get("text") or "" for m in await self.page.bot_messages(self.chat_id)]
        assert question in texts[-1], f"the walk answers {state.key}, the page shows {texts[-1][:200]!r}"


def _settled(chat: dict[str, Any]) -> bool:
    """The bot has answered the last thing the user did."""
    return bool(chat["messages"]) and chat["messages"][-1]["from_bot"]


@pytest.fixture
async def emulated(tmp_path, engine, caplog) -> AsyncIterator[Page]:
    """The real bot polling the emulator, as `python -m bot run` without a token starts it."""
    async with local_emulator(emulator_settings(tmp_path)) as settings:
        dp = build_dispatcher(settings, engine=engine)
        bot = build_bot(settings)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        async with aiohttp.ClientSession(base_url=settings.telegram_api_base) as http:
            yield Page(http)
        await dp.stop_polling()
        await polling
    failures = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not failures, "\n".join(r.getMessage() for r in failures)


async def test_launcher_fills_in_what_a_first_try_needs(tmp_path):
    async with local_emulator(emulator_settings(tmp_path, passport_key=None)) as settings:
        assert settings.bot_token == "42:local-emulator"
        assert settings.telegram_api_base.startswith("http://127.0.0.1:")
        assert settings.admin_ids == {ORGANISER}, "the emulator's organiser is the admin"
        assert settings.event_clock == LETTER_MORNING
        key = settings.passport_key.get_secret_value()
        async with aiohttp.ClientSession(base_url=settings.telegram_api_base) as http:
            page = Page(http)
            state = await page.get("/api/state")
            clock = state["info"]["clock"]
            assert clock["label"] == "Wed 10 April 2024, 09:00 (UTC+02:00)"
            # What the page needs to show message times on the event clock, in its time zone.
            assert clock["timestamp"] == LETTER_MORNING.timestamp() and clock["utc_offset"] == 7200
            assert time.time() - 60 < clock["since"] <= time.time()
            assert state["info"]["clock_set_by_emulator"] is True
            organiser = next(c["persona"] for c in state["chats"] if c["id"] == ORGANISER)
            assert organiser["admin"] is True and organiser["role"] == "organiser"
            group = next(c for c in state["chats"] if c["kind"] == "group")
            assert group["id"] == GROUP_ID and set(group["members"]) == {ORGANISER, STAFF}
            async with http.get("/") as response:
                html = await response.text()
                assert (
                    "Local emulator" in html
                    and "script-src 'self'" in response.headers["Content-Security-Policy"]
                )
    # The passport key is kept with the local data: the next start reads what this one stored.
    assert (tmp_path / "emulator-passport.key").read_text().strip() == key
    async with local_emulator(emulator_settings(tmp_path, passport_key=None)) as again:
        assert again.passport_key.get_secret_value() == key


async def test_launcher_keeps_what_is_set(tmp_path):
    given = emulator_settings(tmp_path, admin_ids=frozenset({555}), event_clock=BEFORE_DEADLINE)
    async with local_emulator(given) as settings:
        assert settings.admin_ids == {555} and settings.event_clock == BEFORE_DEADLINE
        assert settings.passport_key == given.passport_key
        async with aiohttp.ClientSession(base_url=settings.telegram_api_base) as http:
            state = await Page(http).get("/api/state")
        assert state["info"]["clock_set_by_emulator"] is False
        assert not next(c["persona"] for c in state["chats"] if c["id"] == ORGANISER)["admin"]
        # The port is taken now: a second emulator says which setting to change.
        with pytest.raises(SettingsError, match="EMULATOR_PORT"):
            async with local_emulator(given):
                pass


# The emulator does not care which database the bot uses: SQLite is enough here.
@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
async def test_a_delegate_chats_with_the_real_bot_through_the_page(emulated, engine):
    page = emulated
    marie = PageUser(page, MARIE, "fr")
    await register(marie, until=S.language)
    chat = await page.chat(MARIE)
    welcome = chat["messages"][-1]
    assert "Bienvenue" in welcome["text"] and any(e["type"] == "bold" for e in welcome["entities"])
    assert any(c["command"] == "me" and c["description"] == "Mon inscription" for c in chat["commands"])
    await register(marie, since=S.language, until=S.consent, language="lang:fr")
    chat = await page.chat(MARIE)
    confirmation, consent = chat["messages"][-2:]
    assert confirmation.get("edit_date") and "Français" in confirmation["text"], (
        "the choice is confirmed in place"
    )
    assert not consent.get("edit_date"), "the next question comes below the confirmation"
    marie_answers = {
        "full_name": "Marie Dubois",
        "country": (Typed("France"), Tap("c:FR")),
        "organisation": "<b>Parti</b> socialiste",
        "position": "Secrétaire internationale",
        "email": "marie@example.org",
    }
    await register(marie, since=S.consent, until=S.phone, **marie_answers)
    keyboard = (await page.chat(MARIE))["reply_keyboard"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    chat = await page.answer(MARIE, lambda: page.post(f"/api/chats/{MARIE}/contact", {}))
    assert chat["reply_keyboard"] is None, "the share-contact keyboard is removed"
    shared = [m["contact"] for m in chat["messages"] if "contact" in m]
    assert [c["phone_number"] for c in shared] == ["+33612345678"]
    await register(marie, since=S.arrival_date, until=S.review, arrival_date="skip", country=Given("FR"))
    review = (await page.chat(MARIE))["messages"][-1]["text"]
    assert "Marie Dubois" in review and "<b>Parti</b>" in review, "typed HTML comes back as text"
    await register(marie, since=S.review)

    chat = await page.wait(MARIE, lambda c: any("photo" in m for m in c["messages"]))
    photo = next(m for m in chat["messages"] if "photo" in m)
    async with page.http.get(f"/api/files/{photo['photo'][-1]['file_id']}") as response:
        assert response.status == 200 and response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    [registration] = await stored(engine)
    assert registration.language == "fr" and registration.phone == "+33612345678"
    summary = next(m for m in reversed(chat["messages"]) if m.get("reply_markup"))
    assert registration.code in summary["text"]

    # At the entrance, the organiser scans her ticket: the bot checks her in.
    scan = {"message_id": photo["message_id"], "user_id": ORGANISER}
    chat = await page.answer(ORGANISER, lambda: page.post(f"/api/chats/{MARIE}/scan", scan))
    assert chat["messages"][-2]["text"] == f"/start ci_{registration.checkin_token}"
    assert "✅" in chat["messages"][-1]["text"] and registration.code in chat["messages"][-1]["text"]


@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
async def test_a_question_goes_to_the_organisers_group_and_the_reply_comes_back(emulated):
    page = emulated
    await page.send(ANA, "/start")
    chat = await page.send(ANA, "Can I bring my dog to the welcome reception?")
    asking, button = next(
        (m, b)
        for m in chat["messages"]
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if "Ask the organisers" in b["text"]
    )
    press = {"message_id": asking["message_id"], "data": button["callback_data"]}
    group = await page.answer(GROUP_ID, lambda: page.post(f"/api/chats/{ANA}/press", press))
    post = group["messages"][-1]
    assert post["from_bot"] and "my dog" in post["text"] and "Ana Reyes" in post["text"]

    # Jonas, the organiser, replies to the post in the group: the bot relays it to Ana.
    reply = {"from": ORGANISER, "text": "Dogs stay home, sorry!", "reply_to": post["message_id"]}
    chat = await page.answer(ANA, lambda: page.post(f"/api/chats/{GROUP_ID}/send", reply))
    assert any("Dogs stay home, sorry!" in (m.get("text") or "") for m in chat["messages"] if m["from_bot"])


@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
async def test_the_organiser_picks_the_staff_member_in_the_person_picker(emulated):
    page = emulated
    await page.send(STAFF, "/start")  # staff must have started the bot
    chat = await page.send(ORGANISER, "/staff")
    panel = chat["messages"][-1]
    add = next(b for row in panel["reply_markup"]["inline_keyboard"] for b in row if "Add" in b["text"])
    press = {"message_id": panel["message_id"], "data": add["callback_data"]}
    chat = await page.answer(ORGANISER, lambda: page.post(f"/api/chats/{ORGANISER}/press", press))
    picker = next(b for row in chat["reply_keyboard"]["keyboard"] for b in row if "request_users" in b)
    pick = {"request_id": picker["request_users"]["request_id"], "user_ids": [STAFF]}
    await page.post(f"/api/chats/{ORGANISER}/users", {**pick, "user_ids": [ORGANISER]}, status=400)
    await page.answer(STAFF, lambda: page.post(f"/api/chats/{ORGANISER}/users", pick))
    staff_chat = await page.chat(STAFF)
    assert any(c["command"] == "headcount" for c in staff_chat["commands"]), "the staff menu is his now"


async def test_button_answers_reach_the_page_as_toasts(emulator, bot, page):
    sent = await bot.send_message(MARIE, "Save?", reply_markup=_one_button())
    async with page.http.get("/api/events") as events:
        assert (await _next_event(events, "change"))["revision"] == emulator.revision
        await page.post(f"/api/chats/{MARIE}/press", {"message_id": sent.message_id, "data": "x"})
        [update] = await bot.get_updates(timeout=0)
        await bot.answer_callback_query(update.callback_query.id, text="Saved", show_alert=True)
        toast = await _next_event(events, "toast")
    assert toast == {"chat_id": MARIE, "text": "Saved", "alert": True}


async def _next_event(response: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            block = (await response.content.readuntil(b"\n\n")).decode()
            lines = dict(
                line.split(": ", 1) for line in block.strip().splitlines() if not line.startswith(":")
            )
            if lines.get("event") == kind:
                return json.loads(lines["data"])


@pytest.fixture
async def page(emulator) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession(base_url=emulator.base_url) as http:
        yield Page(http)


async def test_organisers_group_follows_telegrams_privacy_mode(emulator, bot, page):
    question = await bot.send_message(GROUP_ID, "❓ Question from Ana Reyes: where is the hotel?")
    chatter = await page.post(f"/api/chats/{GROUP_ID}/send", {"from": STAFF, "text": "Who answers this one?"})
    assert chatter == {"delivered": False}, "the bot does not read the group's conversation"
    reply = {"from": ORGANISER, "text": "Near the venue.", "reply_to": question.message_id}
    assert await page.post(f"/api/chats/{GROUP_ID}/send", reply) == {"delivered": True}
    command = await page.post(f"/api/chats/{GROUP_ID}/send", {"from": STAFF, "text": "/questions"})
    assert command == {"delivered": True}

    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["Near the venue.", "/questions"]
    relayed = updates[0].message
    assert relayed.chat.id == GROUP_ID and relayed.chat.title == "Organisers"
    assert relayed.from_user.id == ORGANISER and relayed.reply_to_message.message_id == question.message_id
    assert relayed.reply_to_message.from_user.id == 42

    chat = await page.chat(GROUP_ID)
    assert [m["text"] for m in chat["messages"]][1:] == [
        "Who answers this one?",
        "Near the venue.",
        "/questions",
    ]
    await page.post(f"/api/chats/{GROUP_ID}/send", {"from": MARIE, "text": "hello"}, status=400)
    await page.post(f"/api/chats/{GROUP_ID}/send", {"from": STAFF, "text": "x", "reply_to": 999}, status=409)


async def test_page_api_refuses_bad_requests(emulator, bot, page):
    await page.post("/api/chats/123/send", {"text": "hi"}, status=404)
    await page.post("/api/chats/abc/send", {"text": "hi"}, status=404)
    await page.post(f"/api/chats/{MARIE}/send", {"text": "   "}, status=400)
    await page.post(f"/api/chats/{MARIE}/send", {"text": "x" * 4097}, status=400)
    await page.post(f"/api/chats/{MARIE}/send", ["not", "an", "object"], status=400)
    await page.post(f"/api/chats/{GROUP_ID}/contact", {}, status=404)
    await page.post("/api/personas", {"first_name": "Lee", "language_code": "xx"}, status=400)
    sent = await bot.send_message(MARIE, "Pick one", reply_markup=_one_button())
    await bot.delete_message(MARIE, sent.message_id)
    gone = {"message_id": sent.message_id, "data": "x"}
    await page.post(f"/api/chats/{MARIE}/press", gone, status=409)
    async with page.http.post(f"/api/chats/{MARIE}/send", data=b"{") as response:
        assert response.status == 400
    async with page.http.get("/api/files/nothing") as response:
        assert response.status == 404


async def test_a_link_opens_the_bot_for_the_chosen_user(emulator, bot, page):
    """A t.me link tapped in another app or pasted in the page, by any user, a new one too: the
    bot gets /start with the link's start parameter, as from Telegram."""
    thiri = await page.post("/api/personas", {"first_name": "Thiri", "language_code": "my"})
    links = {
        "https://t.me/registration_bot?start=dl_AbC-12": "/start dl_AbC-12",
        " t.me/Registration_Bot?start=dl_x ": "/start dl_x",
        "tg://resolve?domain=registration_bot&start=ci_y": "/start ci_y",
        "https://telegram.me/registration_bot": "/start",
    }
    for link, text in links.items():
        opened = await page.post("/api/links/open", {"link": link, "user_id": thiri["id"]})
        assert opened == {"delivered": True, "chat_id": thiri["id"], "text": text}
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == list(links.values())
    first = updates[0].message
    assert first.from_user.id == thiri["id"] and first.from_user.language_code == "my"
    assert first.chat.type == "private" and first.entities[0].type == "bot_command"
    assert first.entities[0].length == len("/start")

    refused = {
        "https://t.me/other_bot?start=dl_x": "not a link to @registration_bot",
        "https://example.org/registration_bot?start=dl_x": "not a Telegram link",
        "https://t.me/registration_bot?start=two%20words": "start parameters",
        f"https://t.me/registration_bot?start={'x' * 65}": "start parameters",
    }
    for link, reason in refused.items():
        assert reason in await page.post("/api/links/open", {"link": link, "user_id": MARIE}, status=400)
    await page.post("/api/links/open", {"link": "t.me/registration_bot", "user_id": 123}, status=400)
    await page.post("/api/links/open", {"user_id": MARIE}, status=400)
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []


async def test_staff_scan_a_qr_code_the_bot_sent(emulator, bot, page):
    link = "https://t.me/registration_bot?start=ci_tok3n"
    ticket = await bot.send_photo(MARIE, BufferedInputFile(qr_code(link), "ticket.png"), caption="Ticket")
    scan = {"message_id": ticket.message_id, "user_id": STAFF}
    scanned = await page.post(f"/api/chats/{MARIE}/scan", scan)
    assert scanned == {"delivered": True, "chat_id": STAFF, "text": "/start ci_tok3n", "link": link}
    [update] = await bot.get_updates(timeout=0)
    assert update.message.from_user.id == STAFF and update.message.chat.id == STAFF
    assert update.message.text == "/start ci_tok3n"

    elsewhere = await bot.send_photo(MARIE, BufferedInputFile(qr_code("https://example.org/"), "x.png"))
    blank = BufferedInputFile(png(Image.new("L", (64, 64), 255)), "blank.png")
    plain = await bot.send_photo(MARIE, blank)
    for message, reason in [
        (elsewhere, "does not open @registration_bot: it holds https://example.org/"),
        (plain, "No QR code found"),
    ]:
        body = {**scan, "message_id": message.message_id}
        assert reason in await page.post(f"/api/chats/{MARIE}/scan", body, status=422)
    text = await bot.send_message(MARIE, "no photo here")
    await page.post(f"/api/chats/{MARIE}/scan", {**scan, "message_id": text.message_id}, status=404)
    await page.post(f"/api/chats/{STAFF}/scan", scan, status=404)  # the photo is in Marie's chat
    await page.post(f"/api/chats/{MARIE}/scan", {**scan, "user_id": 5}, status=400)
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []


def _one_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]])


async def test_edits_deletions_files_and_venues_reach_the_page(emulator, bot, page):
    first = await bot.send_message(MARIE, "<b>Draft</b>", parse_mode="HTML")
    await bot.edit_message_text("<i>Final</i>", chat_id=MARIE, message_id=first.message_id, parse_mode="HTML")
    doomed = await bot.send_message(MARIE, "soon gone")
    await bot.delete_message(MARIE, doomed.message_id)
    await bot.send_document(MARIE, BufferedInputFile(b"code;name\nABC-123;Ana\n", filename="delegates.csv"))
    await bot.send_venue(MARIE, 14.5547, 121.0244, "Venue to be confirmed", "Makati, Manila")

    messages = (await page.chat(MARIE))["messages"]
    assert [m["message_id"] for m in messages] == [1, 3, 4], "the deleted message is not shown"
    edited = messages[0]
    assert edited["text"] == "Final" and edited["entities"][0]["type"] == "italic" and edited["edit_date"]
    document, venue = messages[1]["document"], messages[2]["venue"]
    async with page.http.get(f"/api/files/{document['file_id']}") as response:
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''delegates.csv"
        assert response.content_type == "text/csv" and await response.read() == b"code;name\nABC-123;Ana\n"
    assert venue["title"] == "Venue to be confirmed" and venue["location"]["latitude"] == 14.5547
    state = await page.get("/api/state")
    marie = next(c for c in state["chats"] if c["id"] == MARIE)
    assert marie["bot_messages"] == 3 and marie["last"]["text"] == "[venue]"


async def test_requests_telegram_would_refuse_are_logged(emulator, bot, caplog):
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(MARIE, "<b>never closed", parse_mode="HTML")
    assert "Telegram would refuse this request" in caplog.text and "can't parse entities" in caplog.text
    emulator.violations.clear()  # seen: the fixture checks that no other request broke the spec


async def test_command_menu_follows_scope_and_language(emulator, bot, page):
    await bot.set_my_commands([BotCommand(command="start", description="Register")])
    await bot.set_my_commands([BotCommand(command="start", description="S'inscrire")], language_code="fr")
    staff = [BotCommand(command="headcount", description="Headcounts")]
    await bot.set_my_commands(staff, scope=BotCommandScopeChat(chat_id=ORGANISER))
    assert (await page.chat(MARIE))["commands"] == [{"command": "start", "description": "S'inscrire"}]
    assert (await page.chat(ANA))["commands"] == [{"command": "start", "description": "Register"}]
    assert (await page.chat(ORGANISER))["commands"] == [{"command": "headcount", "description": "Headcounts"}]


async def test_chats_survive_a_restart(tmp_path, emulator, bot, page):
    await page.post(f"/api/chats/{MARIE}/send", {"text": "/start"})
    await bot.send_photo(
        MARIE, BufferedInputFile(b"\x89PNG\r\n\x1a\nqr", filename="qr.png"), caption="Ticket"
    )
    added = await page.post(
        "/api/personas", {"first_name": "Nguyen", "last_name": "Van An", "language_code": "vi"}
    )
    updates = await bot.get_updates(timeout=0)
    await emulator.stop()

    again = Emulator(state_file=tmp_path / "emulator.json")
    await again.start()
    try:
        photo = again.last_message(MARIE)
        assert photo.caption == "Ticket" and again.files[photo.data["photo"][-1]["file_id"]].startswith(
            b"\x89PNG"
        )
        assert again.personas[added["id"]] == Persona(
            added["id"], "Nguyen", "Van An", "vi", "delegate", added["phone"]
        )
        update = again.push_update(again.message_update(MARIE, "again"))
        assert update["update_id"] > updates[-1].update_id, "update ids go on"
        assert update["message"]["message_id"] == 3, "message ids go on: the bot may still edit old ones"
    finally:
        await again.stop()


def test_an_unreadable_state_file_is_set_aside(tmp_path, caplog):
    state = tmp_path / "emulator.json"
    state.write_text('{"version": 1, "chats"', encoding="utf-8")
    emulator = Emulator(state_file=state)
    assert emulator.chat(MARIE) == [] and (tmp_path / "emulator.broken").exists()
    assert "emulator state unreadable" in caplog.text


def test_the_emulator_shares_nothing_with_the_bot():
    """The emulator is a Telegram stand-in: it must not import the bot's code or models."""
    for path in (PROJECT_ROOT / "emulator").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"bot", "models", "tests"}, f"{path.name} imports {name}"
