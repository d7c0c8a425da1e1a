"""End to end: staff broadcast through the real bot and the fake Bot API; the outbox worker runs
as in production (started by dp.startup, stopped by dp.shutdown)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
import yaml
from sqlmodel import select, update

from bot.app import build_bot, build_dispatcher
from bot.broadcasts.outbox import in_flight_for
from bot.broadcasts.ratelimit import RateLimiter
from bot.broadcasts.reminders import reminder_times
from bot.broadcasts.service import RetryPolicy
from bot.core.db import create_session_factory
from bot.core.models import (
    AuditEntry,
    BroadcastDelivery,
    BroadcastJob,
    Delegation,
    DeliveryStatus,
    JobStatus,
    Registration,
)
from tests.support.app import BEFORE_DEADLINE, EVENT_FILE, App, make_settings
from tests.support.broadcasting import register, register_many, registration_service
from tests.support.chat import Chat
from tests.support.fake_telegram import ApiError, FakeTelegram

STAFF = 900  # in ADMIN_IDS of the test settings


@pytest.fixture
def settings(fake: FakeTelegram):
    # A thousand messages in about a second (the per-chat interval is tested on its own).
    return make_settings(
        telegram_api_base=fake.base_url, broadcast_rate=1000, broadcast_per_chat_interval=0.2
    )


@asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    """The dispatcher started and stopped as polling does: the outbox worker with it."""
    outbox = app.dp["services"].outbox
    outbox.poll_interval, outbox.progress_interval = 0.05, 0.2
    app.dp["services"].broadcasts.retry = RetryPolicy(base_delay=0.05)
    await app.dp.emit_startup(bot=app.bot, **app.dp.workflow_data)
    try:
        yield app
    finally:
        await app.dp.emit_shutdown(bot=app.bot, **app.dp.workflow_data)


def received(fake: FakeTelegram, chat_id: int) -> list:
    return [message for message in fake.chat(chat_id) if message.from_bot]


async def jobs(engine) -> list[BroadcastJob]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(BroadcastJob).order_by(BroadcastJob.id))).all())


async def wait_for_report(
    staff: Chat, seconds: float = 10.0, after: int = 0, finished: str = "finished:"
) -> str:
    """The final report of the broadcast, or of the one after `after` earlier ones (`finished`:
    how the report says it, in the staff member's language)."""

    def reports() -> list[str]:
        return [t for t in staff.texts_since(0) if finished in t or t.startswith("🛑 Broadcast #")]

    await staff.fake.wait_for(lambda: len(reports()) > after, seconds)
    return reports()[after]


def progress_message(staff: Chat, title: str = "📣 Broadcast #"):
    return next(m for m in received(staff.fake, staff.user_id) if (m.text or "").startswith(title))


async def compose(staff: Chat, audience: str, text: str) -> None:
    await staff.send("/broadcast")
    await staff.tap(audience)
    await staff.send(text)


# --- the dialogue ----------------------------------------------------------------------------


async def test_broadcast_with_a_language_version(app, engine, event):
    service = registration_service(engine, event)
    await register(service, 1, language="en")
    await register(service, 2, language="en")
    await register(service, 3, language="fr")
    await register(service, 4, language="es")
    async with running(app):
        staff = app.chat(STAFF, "en")
        await staff.send("/broadcast")
        assert "Who should receive it?" in staff.last_text
        assert "Everyone registered (4)" in staff.buttons()
        await staff.tap("k:all")
        assert "everyone registered (4 now)" in staff.last_text
        await staff.send("<b>Venue</b> changed: Manila Hotel & Tower")
        assert "Language versions" in staff.last_text
        await staff.tap("l:fr")
        assert "Français" in staff.last_text
        await staff.send("<b>Lieu</b> modifié : Manila Hotel")
        assert "Versions: Français" in staff.last_text
        before_preview = staff.size
        await staff.tap("preview")
        texts = staff.texts_since(before_preview)
        assert texts[:4] == [
            "👇 Main text, for everyone else:",
            "Venue changed: Manila Hotel & Tower",
            "👇 Français version:",
            "Lieu modifié : Manila Hotel",
        ]
        assert (
            "Recipients now: 4" in texts[4]
            and "main text: 3" in texts[4]
            and "Français version: 1" in texts[4]
        )
        previews = [m for m in received(app.fake, STAFF)[-5:-1] if not m.text.startswith("👇")]
        window, send_now = staff.last, app.fake.find_button(STAFF, "Send now")
        await staff.tap("now")
        assert window.inline_keyboard == [], "the buttons are gone"
        await staff.press_data(window.message_id, send_now)  # pressed twice: sent once
        report = await wait_for_report(staff)
    assert report.endswith("finished: 4 sent, 0 unreachable (blocked the bot or left Telegram), 0 failed.")
    # Recipients get exactly the preview of their language: text and formatting.
    english, french = ({k: m.data[k] for k in ("text", "entities")} for m in previews)
    for chat_id, expected in ((1, english), (2, english), (3, french), (4, english)):
        [message] = received(app.fake, chat_id)
        assert {k: message.data.get(k) for k in ("text", "entities")} == expected
    assert english["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    progress = progress_message(staff)
    assert "Finished" in progress.text and "Sent: 4 of 4" in progress.text and not progress.inline_keyboard
    [job] = await jobs(engine)
    assert job.status == JobStatus.DONE and job.created_by == STAFF
    async with create_session_factory(engine)() as session:
        [entry] = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "broadcast.create"))
        ).all()
    assert (
        entry.actor_id == STAFF
        and entry.details["recipients"] == 4
        and entry.subject == f"broadcast:{job.id}"
    )


async def test_staff_only(app, engine, event):
    await register(registration_service(engine, event), 1)
    delegate = app.chat(1, "en")
    async with running(app):
        await delegate.send("/broadcast")
        assert "I do not know this command." in delegate.last_text
        staff = app.chat(STAFF, "en")
        await compose(staff, "k:all", "Hello")
        await staff.tap("preview")
        await staff.tap("now")
        await wait_for_report(staff)
        # A staff member whose role is revoked in the middle of a broadcast cannot send it.
        await app.dp["services"].staff.grant(STAFF, 901)
        former = app.chat(901, "en")
        await compose(former, "k:all", "Hello")
        await former.tap("preview")
        await app.dp["services"].staff.revoke(STAFF, 901)
        await former.tap("now")
    [job] = await jobs(engine)
    # A forged "cancel" button from a delegate changes nothing and answers nothing.
    message = received(app.fake, 1)[-1]
    await delegate.press_data(message.message_id, f"bc:stop:{job.id}")
    assert (await jobs(engine))[0].status == JobStatus.DONE
    assert app.fake.last_message(1) is message


async def test_html_that_telegram_would_refuse(app, engine, event):
    await register(registration_service(engine, event), 1)
    async with running(app):
        staff = app.chat(STAFF, "en")
        await compose(staff, "k:all", "Price <10 € for <div>members</div>")
        errors = staff.texts_since(0)
        assert any(
            "Telegram cannot read the tag at “&lt;10 € for”" in t or "cannot read the tag" in t
            for t in errors
        )
        assert "Send it as plain text" in " ".join(staff.buttons())
        await staff.send("<b>unclosed")
        assert "never closed" in staff.texts_since(0)[-2]
        await staff.tap("plain")
        assert "Language versions" in staff.last_text
        await staff.tap("preview")
        await staff.tap("now")
        await wait_for_report(staff)
    [message] = received(app.fake, 1)
    assert message.text == "<b>unclosed" and "entities" not in message.data


async def test_photo_with_caption_by_status(app, engine, event):
    service = registration_service(engine, event)
    await register(service, 1)
    await register(service, 2)
    await service.withdraw(2, BEFORE_DEADLINE)
    async with running(app):
        staff = app.chat(STAFF, "en")
        await staff.send("/broadcast")
        await staff.tap("k:status")
        assert staff.buttons()[:2] == ["registered (1)", "withdrawn (1)"]
        await staff.tap("v:withdrawn")
        await staff.feed(app.fake.photo_update(STAFF, caption="x" * 1025))
        assert "1025 characters long; Telegram allows 1024" in staff.texts_since(0)[-2]
        await staff.feed(app.fake.photo_update(STAFF, caption="We miss you: <i>come back</i>"))
        await staff.tap("preview")
        [preview] = app.fake.calls_of("sendPhoto")
        await staff.tap("now")
        await wait_for_report(staff)
    assert received(app.fake, 1) == []
    [photo] = received(app.fake, 2)
    [sent] = app.fake.calls_of("sendPhoto")[1:]
    assert sent.params["photo"] == preview.params["photo"] and photo.caption == "We miss you: come back"
    assert photo.data["caption_entities"] == [{"type": "italic", "offset": 13, "length": 9}]


async def test_send_later(app, engine, event):
    await register(registration_service(engine, event), 1)
    clock = app.dp["services"].clock
    async with running(app):
        staff = app.chat(STAFF, "fr")
        await compose(staff, "k:all", "Reminder")
        await staff.tap("preview")
        await staff.tap("later")
        await staff.send("20/04 09:00")  # the clock says 20 April 10:00 in Manila
        assert "déjà passé" in staff.texts_since(0)[-2]  # in the staff member's language
        await staff.send("21/04 18:00")
        assert "dim. 21 avr. 2024, 18:00" in staff.last_text and "Manille" in staff.last_text
        await staff.tap("confirm")
        progress = progress_message(staff, "📣 Diffusion #").text
        assert "⏰" in progress and "dim. 21 avr. 2024, 18:00" in progress
        clock.frozen_at = datetime.fromisoformat("2024-04-21T17:59:00+08:00")
        app.dp["services"].outbox.wake()
        await staff.send("/help")  # some time passes
        assert received(app.fake, 1) == []
        clock.frozen_at = datetime.fromisoformat("2024-04-21T18:00:00+08:00")
        app.dp["services"].outbox.wake()
        await wait_for_report(staff, finished="terminée")
    assert [m.text for m in received(app.fake, 1)] == ["Reminder"]


async def test_by_delegation_and_not_checked_in(app, engine, event):
    await register_many(engine, event, [1, 2, 3])
    async with create_session_factory(engine)() as session:
        delegation = Delegation(
            event_id=event.id, party="Akbayan <Citizens>", country="PH", token="t0k3n", created_by=STAFF
        )
        session.add(delegation)
        await session.commit()
        await session.refresh(delegation)
        await session.exec(
            update(Registration).where(Registration.user_id.in_([1, 2])).values(delegation_id=delegation.id)
        )
        await session.exec(
            update(Registration).where(Registration.user_id == 2).values(checked_in_at=BEFORE_DEADLINE)
        )
        await session.commit()
    async with running(app):
        staff = app.chat(STAFF, "en")
        await staff.send("/broadcast")
        await staff.tap("k:delegation")
        assert staff.buttons()[0] == "Akbayan <Citizens> (Philippines) (2)"
        await staff.tap(f"v:{delegation.id}")
        assert "to delegation: Akbayan <Citizens> (Philippines) (2 now)" in staff.last_text
        await staff.send("Delegation meeting at 9")
        await staff.tap("preview")
        await staff.tap("now")
        await wait_for_report(staff)
        await compose(staff, "k:not_checked_in", "Check-in opens at 8")
        await staff.tap("preview")
        await staff.tap("now")
        await wait_for_report(staff, after=1)
    assert [m.text for m in received(app.fake, 1)] == ["Delegation meeting at 9", "Check-in opens at 8"]
    assert [m.text for m in received(app.fake, 2)] == ["Delegation meeting at 9"]
    assert [m.text for m in received(app.fake, 3)] == ["Check-in opens at 8"]


# --- sending: limits, errors, restart --------------------------------------------------------


async def test_thousand_recipients_with_429s_blocked_users_and_a_restart(
    app, engine, event, settings, monkeypatch
):
    recipients = list(range(10_001, 11_001))
    await register_many(engine, event, recipients)
    fake = app.fake
    blocked = set(recipients[::20])  # 50 who blocked the bot
    fake.blocked_chats |= blocked
    requests: list[tuple[float, int, int]] = []  # sendMessage to recipients: (when, chat, HTTP status)
    flood = {"from": None, "until": 0.0}
    dispatch = fake._dispatch

    async def recorded(call):
        """sendMessage answers, and a flood like Telegram's: every request within the second
        after the first 429 gets a 429 too."""
        if call.method != "sendMessage" or call.params["chat_id"] == STAFF:
            return await dispatch(call)
        now = time.monotonic()
        if flood["from"] == "next":
            flood.update({"from": now, "until": now + 1.0})
        if now < flood["until"]:
            requests.append((now, call.params["chat_id"], 429))
            raise ApiError("Too Many Requests: retry after 1", 429, retry_after=1)
        try:
            result = await dispatch(call)
        except ApiError as error:
            requests.append((now, call.params["chat_id"], error.error_code))
            raise
        requests.append((now, call.params["chat_id"], 200))
        return result

    monkeypatch.setattr(fake, "_dispatch", recorded)

    def sent() -> int:
        return sum(1 for _t, _chat, status in requests if status == 200)

    started = time.monotonic()
    async with running(app):
        staff = app.chat(STAFF, "en")
        await compose(staff, "k:all", "📣 The programme is online.")
        await staff.tap("preview")
        await staff.tap("now")
        await fake.wait_for(lambda: sent() >= 100, 30)
        fake.fail_next("sendMessage", 500, times=3)  # server errors: retried with backoff
        await fake.wait_for(lambda: sent() >= 300, 30)
        flood["from"] = "next"
        await fake.wait_for(lambda: sent() >= 600, 30)
    # A restart in the middle: a new dispatcher, worker and bot session on the same database.
    at_restart = sent()
    assert at_restart < 950, "the restart happens while sending"
    second = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    try:
        async with running(second):
            report = await wait_for_report(app.chat(STAFF, "en"), 60)
    finally:
        await second.bot.session.close()
    elapsed = time.monotonic() - started

    assert report.endswith("finished: 950 sent, 50 unreachable (blocked the bot or left Telegram), 0 failed.")
    per_chat = Counter(chat for _t, chat, status in requests if status == 200)
    reachable = set(recipients) - blocked
    assert set(per_chat) == reachable, "nobody reachable is missed, nobody blocked got it"
    assert max(per_chat.values()) == 1, "nobody gets it twice"
    assert all(len(received(fake, chat)) == 1 for chat in reachable)
    # retry_after honoured: once the first 429 is back (well within 0.3 s), no request is sent
    # until the second has passed; without the pause there would be hundreds of them.
    flooded = [t for t, _chat, status in requests if status == 429]
    assert flooded and flooded[0] == flood["from"]
    assert not [t for t, _chat, _status in requests if flood["from"] + 0.3 < t < flood["until"]]
    assert any(status == 200 for t, _c, status in requests if t >= flood["until"]), "sending went on"
    assert sum(1 for _t, _c, status in requests if status == 500) == 3
    async with create_session_factory(engine)() as session:
        rows = (await session.exec(select(BroadcastDelivery))).all()
    assert Counter(row.status for row in rows) == {DeliveryStatus.SENT: 950, DeliveryStatus.UNREACHABLE: 50}
    assert {row.last_error for row in rows if row.status == DeliveryStatus.UNREACHABLE} == {"403"}
    print(f"\n1000 recipients: {elapsed:.1f} s, {at_restart} sent before the restart, {len(flooded)} 429s")


async def test_pause_resume_and_cancel(app, engine, event, settings):
    recipients = list(range(20_001, 20_301))
    await register_many(engine, event, recipients)
    outbox = app.dp["services"].outbox
    outbox.limiter = RateLimiter(20, 0.2)  # 300 messages: 15 s, time enough to press buttons
    outbox.in_flight = in_flight_for(20)
    fake = app.fake

    def sent() -> int:
        return sum(len(received(fake, chat)) for chat in recipients)

    async with running(app):
        staff = app.chat(STAFF, "en")
        await compose(staff, "k:all", "Hello")
        await staff.tap("preview")
        await staff.tap("now")
        await fake.wait_for(lambda: sent() >= 30, 10)
        progress = progress_message(staff)
        pause = app.fake.find_button(STAFF, "Pause")
        await staff.press("Pause")
        assert "Paused" in progress_message(staff).text and "▶️ Resume" in staff.buttons()
        paused_at = sent()
        await staff.press_data(progress.message_id, pause)  # pressed twice: nothing changes
        await staff.send("/help")  # some time passes
        assert sent() - paused_at <= 16, "at most the messages already on the wire"
        still = sent()
        await staff.send("/help")
        assert sent() == still
        await staff.press("Resume")
        await fake.wait_for(lambda: sent() >= still + 20, 10)
        await staff.press("Cancel")
        assert "Cancel broadcast #" in staff.last_text
        assert staff.buttons() == ["🛑 Yes, cancel it", "↩️ No, go on"]
        await staff.press("No, go on")
        assert "goes on" in staff.last_text and staff.buttons() == []
        await staff.press("Cancel")
        await staff.press("Yes, cancel it")
        assert "Cancelled: nothing more is sent." in staff.last_text
        report = await wait_for_report(staff)
        after_cancel = sent()
    [job] = await jobs(engine)
    assert job.status == JobStatus.CANCELLED
    counts = [int(word) for word in report.replace(",", "").split() if word.isdigit()]
    sent_count, unreachable, failed, waiting = counts[-4:]
    assert (sent_count, unreachable, failed) == (after_cancel, 0, 0) and sent_count + waiting == 300
    assert 0 < after_cancel < 300
    assert Counter(chat for chat in recipients for _ in received(fake, chat)).most_common(1)[0][1] == 1


async def test_unreachable_and_failing_recipients(app, engine, event, monkeypatch):
    await register_many(engine, event, [1, 2, 3])
    fake = app.fake
    dispatch = fake._dispatch

    async def failing(call):
        if call.method == "sendMessage" and call.params["chat_id"] == 2:
            raise ApiError("Bad Request: chat not found")
        if call.method == "sendMessage" and call.params["chat_id"] == 3:
            raise ApiError("Internal Server Error", 500)
        return await dispatch(call)

    monkeypatch.setattr(fake, "_dispatch", failing)
    async with running(app):
        staff = app.chat(STAFF, "en")
        await compose(staff, "k:all", "Hello")
        await staff.tap("preview")
        await staff.tap("now")
        report = await wait_for_report(staff)
    assert "finished: 1 sent, 1 unreachable" in report and report.endswith(", 1 failed.")
    async with create_session_factory(engine)() as session:
        rows = (await session.exec(select(BroadcastDelivery).order_by(BroadcastDelivery.chat_id))).all()
    assert [(row.status, row.attempts, row.last_error) for row in rows] == [
        (DeliveryStatus.SENT, 1, None),
        (DeliveryStatus.UNREACHABLE, 1, "400"),
        (DeliveryStatus.FAILED, RetryPolicy().max_attempts, "5xx"),
    ]
    sends_to_3 = [call for call in fake.calls_of("sendMessage") if call.params["chat_id"] == 3]
    assert len(sends_to_3) == RetryPolicy().max_attempts


# --- reminders -------------------------------------------------------------------------------


async def test_reminders_once_per_user_in_their_language(app, engine, event):
    english, french, spanish, done = (
        app.chat(user_id, code) for user_id, code in ((31, "en"), (32, "fr"), (33, "es"), (34, "en"))
    )
    clock = app.dp["services"].clock
    times = reminder_times(event)

    def reminders(chat: Chat) -> list[str]:
        return [text for text in chat.texts_since(0) if text.startswith("⏰")]

    async with running(app):
        await english.send("/start")
        await french.send("/start")
        await french.tap("lang:fr")
        await spanish.send("/start")  # never picks a language: the one the dialogue opened in
        await done.send("/start")
        await register(registration_service(engine, event), 34)  # started, then finished
        clock.frozen_at = times[7] - timedelta(minutes=1)
        app.dp["services"].outbox.wake()
        await english.send("/help")
        assert reminders(english) == []
        clock.frozen_at = times[7]
        app.dp["services"].outbox.wake()
        await app.fake.wait_for(lambda: all(reminders(chat) for chat in (english, french, spanish)), 5)
        clock.frozen_at = times[7] + timedelta(hours=5)
        app.dp["services"].outbox.wake()
        await english.send("/help")
        await english.send("/help")
        assert [len(reminders(chat)) for chat in (english, french, spanish, done)] == [1, 1, 1, 0]
        assert "May 15, 2024" in reminders(english)[0]
        assert "15 mai 2024" in reminders(french)[0]
        assert "15 de mayo de 2024" in reminders(spanish)[0]
        clock.frozen_at = times[1]
        app.dp["services"].outbox.wake()
        await app.fake.wait_for(lambda: len(reminders(english)) == 2, 5)
        await app.fake.wait_for(
            lambda: all(len(reminders(chat)) == 2 for chat in (english, french, spanish)), 5
        )
    assert [len(reminders(chat)) for chat in (english, french, spanish, done)] == [2, 2, 2, 0]
    # The reminder's /start takes them back to where they were.
    await french.send("/start")
    assert "Données" in french.last_text or "données" in french.last_text


async def test_recipients_by_language_are_named_in_the_staff_language(app, engine, event):
    """Like countries and roles, the languages to choose from read in the staff member's language."""
    service = registration_service(engine, event)
    await register(service, 1, language="es")
    await register(service, 2, language="ja")
    staff = app.chat(STAFF, "fr")
    await staff.send("/broadcast")
    await staff.tap("k:language")
    assert staff.buttons()[:2] == ["Espagnol (1)", "Japonais (1)"]


async def test_a_reminder_to_those_who_have_not_answered_a_new_question(fake, engine, event, tmp_path):
    """A required question added to the form after people registered: staff pick it, and the
    message reaches who has not answered it yet."""
    await register_many(engine, event, [1, 2])
    raw = yaml.safe_load(EVENT_FILE.read_text(encoding="utf-8"))
    size = {"en": "T-shirt size"}
    raw["form"].append(
        {
            "id": "tshirt",
            "type": "choice",
            "text": {"en": "Your T-shirt size?"},
            "label": size,
            "options": [{"id": "m", "label": {"en": "M"}}, {"id": "l", "label": {"en": "L"}}],
        }
    )
    changed = tmp_path / "with-tshirt.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    async with create_session_factory(engine)() as session:
        await session.exec(
            update(Registration).where(Registration.user_id == 2).values(custom_answers={"tshirt": "l"})
        )
        await session.commit()
    settings = make_settings(telegram_api_base=fake.base_url, event_file=changed, broadcast_rate=1000)
    bot = build_bot(settings)
    app = App(fake, build_dispatcher(settings, engine=engine), bot)
    async with running(app):
        staff = app.chat(STAFF, "en")
        await staff.send("/broadcast")
        await staff.tap("k:missing")
        assert "T-shirt size (1)" in staff.buttons()
        await staff.tap("v:tshirt")
        assert "to not answered yet: T-shirt size (1 now)" in staff.last_text
        await staff.send("Please tell us your T-shirt size: open the bot")
        await staff.tap("preview")
        await staff.tap("now")
        await wait_for_report(staff)
    assert [m.text for m in received(fake, 1)] == ["Please tell us your T-shirt size: open the bot"]
    assert received(fake, 2) == []
    await bot.session.close()
