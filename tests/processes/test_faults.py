"""Faults: Telegram failing or slow, the database going away, the bot killed at several points."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendMessage
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_bot, build_dispatcher
from bot.broadcasts.audiences import Audience, AudienceKind
from bot.core.db import create_engine, upgrade_schema
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.models import RegistrationStatus
from bot.runtime.retry import InteractiveUpdates, RetryRequests
from tests.support.app import BEFORE_DEADLINE, POSTGRES_ADMIN_DSN, App, make_settings
from tests.support.broadcasting import register_many
from tests.support.processes import start_bot_process
from tests.support.tcp_proxy import TcpProxy
from tests.support.walk import BotProcessUser, S, current_place, register, stored

TRY_AGAIN = "⏳ The bot cannot reach its records for a moment. Please try again in a minute."


def in_language(msgid: str, language: str) -> str:
    with get_i18n().use_locale(language):
        return _(msgid)


# -- Telegram failing ----------------------------------------------------------------------


async def test_5xx_answers_are_retried(app, caplog):
    chat = app.chat()
    app.fake.fail_next("sendMessage", 500, times=2)
    await chat.send("/start")
    assert "Welcome" in chat.last_text
    assert len(app.fake.calls_of("sendMessage")) == 3
    retries = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.retry"]
    assert len(retries) == 2 and all("sendMessage failed" in text for text in retries)


async def test_slow_telegram_is_retried(app):
    chat = app.chat()
    app.bot.session.timeout = 0.5
    app.fake.delay_next("sendMessage", 1.5)
    await chat.send("/start")
    # The slow request may still have been delivered: at least once, as documented.
    assert any("Welcome" in text for text in chat.texts_since(0))
    assert len(app.fake.calls_of("sendMessage")) == 2


async def test_429_is_retried_after_the_wait_telegram_asks(app):
    chat = app.chat()
    await chat.send("/start")
    app.fake.fail_next("editMessageText", 429, retry_after=1)
    started = asyncio.get_running_loop().time()
    await chat.tap("lang:en")
    assert asyncio.get_running_loop().time() - started >= 1
    assert "Your data" in chat.last_text


async def test_retries_are_bounded_and_only_while_a_user_waits(app):
    app.fake.user(1001)
    app.fake.fail_next("sendMessage", 500, times=1)
    with pytest.raises(TelegramServerError):  # background work (the outbox) keeps its own policy
        await app.bot.send_message(1001, "hello")
    assert len(app.fake.calls_of("sendMessage")) == 1

    retry = RetryRequests(attempts=3, backoff=0.01)
    calls = 0

    async def failing(_bot, method):
        nonlocal calls
        calls += 1
        raise TelegramServerError(method=method, message="Internal Server Error")

    async def handling_an_update(_event, _data):
        return await retry(failing, app.bot, SendMessage(chat_id=1001, text="hello"))

    with pytest.raises(TelegramServerError):
        await InteractiveUpdates()(handling_an_update, None, {})
    assert calls == 3, "given up after the last attempt"


# -- the database going away ----------------------------------------------------------------


@pytest.fixture
async def proxied(migrated_engine: AsyncEngine, engine, settings, fake):
    """The bot on PostgreSQL through a TCP proxy that the test stops and starts."""
    url = migrated_engine.url
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = create_engine(url.set(port=proxy.port).render_as_string(hide_password=False))
    app = App(fake, build_dispatcher(settings, engine=through_proxy), build_bot(settings))
    yield app, proxy
    await app.bot.session.close()
    await proxy.stop()
    await through_proxy.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
async def test_database_away_then_back(proxied, engine):
    app, proxy = proxied
    chat = app.chat(language_code="fr")
    await register(chat, until=S.full_name, language="lang:fr")
    question = chat.last_text

    await proxy.stop()
    before = chat.size
    await chat.send("Marie Curie")
    # The dialogue state the bot keeps lets it show the next question; saving the answer fails,
    # so the last word is to try again (the answer is asked again once the database is back).
    assert chat.texts_since(before)[-1] == in_language(TRY_AGAIN, "fr"), "in the language Telegram gives"
    await chat.send("/me")
    assert chat.last_text == in_language(TRY_AGAIN, "fr")
    await chat.press_data(chat.last.message_id, "anything")
    alerts = [call.params for call in app.fake.calls_of("answerCallbackQuery")]
    assert alerts[-1]["text"] == in_language(TRY_AGAIN, "fr") and alerts[-1]["show_alert"] is True

    await proxy.start()  # back on the same port: the bot reconnects by itself
    await chat.send("/start")
    assert chat.last_text == question, "the answers given before the outage are kept"
    await register(chat, since=S.full_name, until=S.organisation, full_name="Marie Curie")
    assert await current_place(chat) == "organisation", "the bot recovered by itself"


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
async def test_connections_killed_by_the_server_are_replaced(app, migrated_engine):
    chat = app.chat()
    await register(chat, until=S.consent)
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            migrated_engine.url.database,
        )
    finally:
        await admin.close()
    assert killed >= 1
    await chat.tap("agree")
    assert "full name" in chat.last_text, "no apology: the pool replaced the dead connections"


# -- the bot killed (SIGKILL) at several points ----------------------------------------------


@pytest.mark.slow
async def test_sigkill_at_several_points_loses_nothing(fake, tmp_path, caplog):
    """Killed between answers, at the review, and while the ticket was being sent: each time the
    delegate goes on where they were, every answer kept, the registration stored once."""
    caplog.set_level(logging.WARNING)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"
    user = fake.user(3003, first_name="Ana", language_code="en")
    ana = BotProcessUser(fake, user.id)
    last = lambda: fake.last_message(user.id)  # noqa: E731

    def shows(text: str) -> bool:
        message = last()
        return message is not None and text in (message.text or "") + str(message.inline_keyboard)

    # A restart is a new process: about 10 s to its first poll on a loaded two-core machine.
    async def until(predicate, seconds: float = 60) -> None:
        await fake.wait_for(predicate, seconds)

    async def restart_and_resume(process, expected: str) -> asyncio.subprocess.Process:
        process.send_signal(signal.SIGKILL)
        await process.wait()
        process = await start_bot_process(fake, database_url)
        before = len(fake.chat(user.id))
        user.send("/start")
        await until(lambda: len(fake.chat(user.id)) > before + 1 and shows(expected))
        return process

    process = await start_bot_process(fake, database_url)
    try:
        await register(ana, until=S.country)
        await asyncio.sleep(0.5)  # the dialogue is saved just after the question is shown
        process = await restart_and_resume(process, "country")  # 1: between answers

        await register(ana, since=S.country, until=S.review, position="Secretary", arrival_date="skip")
        await asyncio.sleep(0.5)
        process = await restart_and_resume(process, "Please check your answers")  # 2: at the review
        review = last().text
        for answer in (
            "Ana Reyes",
            "Philippines",
            "Akbayan",
            "Secretary",
            "ana@example.org",
            "+639171234567",
        ):
            assert answer in review

        fake.delay_next("sendPhoto", 30)  # 3: killed while the ticket is on its way
        await ana.tap("confirm")
        await until(lambda: fake.calls_of("sendPhoto") != [])
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        [registration] = await stored_at(database_url)
        assert registration.status == RegistrationStatus.REGISTERED and registration.full_name == "Ana Reyes"

        process = await start_bot_process(fake, database_url)
        before = len(fake.chat(user.id))
        user.send("/me")
        await until(lambda: len(fake.chat(user.id)) > before + 1 and shows(registration.code))
        await ana.tap("qr")
        await until(lambda: len(fake.calls_of("sendPhoto")) == 2)
        assert len(await stored_at(database_url)) == 1, "nothing stored twice"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert b"Traceback" not in stderr, stderr.decode()


async def stored_at(database_url: str):
    engine = create_engine(database_url)
    try:
        return await stored(engine)
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_sigkill_during_a_broadcast(fake, tmp_path, event):
    """Killed while a broadcast is being sent: after the restart everyone gets it, nobody whose
    message was recorded as sent gets it again, and only the messages that were in flight at the
    kill may arrive twice (the outbox's stated at-least-once policy)."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"
    dp = build_dispatcher(make_settings(database_url=database_url))
    engine = dp["services"].engine
    await upgrade_schema(engine)
    recipients = list(range(10_000, 10_300))
    await register_many(engine, event, recipients)
    await dp["services"].broadcasts.create(
        audience=Audience(AudienceKind.ALL),
        audience_label="everyone",
        text="The venue has changed.",
        send_at=BEFORE_DEADLINE,
        language="en",
        created_by=None,
    )

    def received() -> dict[int, int]:
        counts = {chat_id: 0 for chat_id in recipients}
        for call in fake.calls_of("sendMessage"):
            if call.params.get("text") == "The venue has changed." and call.params["chat_id"] in counts:
                counts[call.params["chat_id"]] += 1
        return counts

    extra = {"BROADCAST_RATE": "100", "BROADCAST_PER_CHAT_INTERVAL": "0"}
    process = await start_bot_process(fake, database_url, **extra)
    try:
        await fake.wait_for(lambda: sum(received().values()) >= 80, 60)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    statuses = await delivery_statuses(engine)
    sent_at_kill = {chat for chat, status in statuses.items() if status == "sent"}
    in_flight = {chat for chat, status in statuses.items() if status == "sending"}
    assert sent_at_kill and len(sent_at_kill) < len(recipients), "killed in the middle"
    async with engine.begin() as connection:  # ten minutes later: the claims' lease is over
        await connection.execute(
            text("UPDATE broadcast_delivery SET claimed_at = :long_ago WHERE status = 'sending'"),
            {"long_ago": datetime.now(UTC) - timedelta(minutes=11)},
        )

    process = await start_bot_process(fake, database_url, **extra)
    try:
        await fake.wait_for(lambda: min(received().values()) >= 1, 90)
        for _ in range(300):  # each outcome is recorded just after its message
            if set((await delivery_statuses(engine)).values()) == {"sent"}:
                break
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    counts = received()
    twice = {chat for chat, count in counts.items() if count > 1}
    assert all(count >= 1 for count in counts.values()), "everyone got it"
    assert twice <= in_flight, "only what was in flight at the kill came twice"
    assert all(counts[chat] == 1 for chat in sent_at_kill), "nothing recorded as sent was sent again"
    assert set((await delivery_statuses(engine)).values()) == {"sent"}
    print(f"\nkilled with {len(sent_at_kill)} sent, {len(in_flight)} in flight; {len(twice)} received twice")
    assert b"Traceback" not in stderr, stderr.decode()
    await engine.dispose()


async def delivery_statuses(engine) -> dict[int, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT chat_id, status FROM broadcast_delivery"))
        return {chat_id: status for chat_id, status in rows}
