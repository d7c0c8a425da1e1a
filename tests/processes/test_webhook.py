"""Webhook mode: secret token, handled-before-answering, redelivery, health, graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlmodel import select

from bot.app import build_bot, build_dispatcher
from bot.core.db import create_engine, create_session_factory
from bot.core.models import ProcessedUpdate
from bot.core.settings import SettingsError, load_settings
from bot.runtime.update_log import MAX_ATTEMPTS, RedisUpdateLog, SQLUpdateLog
from bot.runtime.webhook import WebhookServer
from tests.support.app import REDIS_TEST_URL, make_settings
from tests.support.processes import free_port, start_bot_process, stopped

SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://bot.example.org/telegram/updates"
PATH = "/telegram/updates"
USER = 3003


def webhook_settings(fake, **overrides: Any):
    values: dict[str, Any] = {
        "telegram_api_base": fake.base_url,
        "webhook_url": WEBHOOK_URL,
        "webhook_secret": SECRET,
    }
    return make_settings(**{**values, **overrides})


class Webhook:
    def __init__(self, server: WebhookServer, http: aiohttp.ClientSession) -> None:
        self.server, self.http = server, http
        self.url = f"http://127.0.0.1:{server.port}"

    async def post(self, update: dict[str, Any], secret: str | None = SECRET, data: Any = None) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        body = {"data": data} if data is not None else {"json": update}
        async with self.http.post(self.url + PATH, headers=headers, **body) as response:
            await response.read()
            return response.status

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(self.url + "/healthz") as response:
            return response.status, await response.json()


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
async def webhook(request, fake, engine) -> AsyncIterator[Webhook]:
    """Updates recorded in the database (SQLite and PostgreSQL), or in Redis."""
    overrides: dict[str, Any] = {}
    if request.param == "redis":
        # A bot id of its own: the keys of this test cannot meet those of another run.
        overrides = {"redis_url": REDIS_TEST_URL, "bot_token": f"{uuid.uuid4().int % 10**9}:TEST-token"}
    settings = webhook_settings(fake, **overrides)
    dp = build_dispatcher(settings, engine=engine)
    server = WebhookServer(settings, dp, build_bot(settings), dp["services"].engine)
    await server.start(host="127.0.0.1", port=0)
    try:
        async with aiohttp.ClientSession() as http:
            yield Webhook(server, http)
    finally:
        await server.stop()
        if request.param == "redis":
            # Dialogue keys name the user, not the bot: this test's user is cleared for the next.
            redis = Redis.from_url(REDIS_TEST_URL)
            patterns = (f"upd:{server.bot.id}:*", f"fsm:{USER}:*")
            keys = [key for pattern in patterns async for key in redis.scan_iter(pattern)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


# Tests that do not depend on the database engine run on SQLite only, or also on one store only.
SQLITE = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
ANY_STORE = pytest.mark.parametrize("webhook", ["database"], indirect=True)


def replies(fake) -> list[str]:
    return [m.text or m.caption or "" for m in fake.chat(USER) if m.from_bot]


@SQLITE
@ANY_STORE
async def test_set_webhook_at_start_with_the_secret_and_used_update_types(webhook, fake):
    [call] = fake.calls_of("setWebhook")
    assert call.params["url"] == WEBHOOK_URL and call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == webhook.server.dp.resolve_used_update_types()
    assert "message" in call.params["allowed_updates"] and "callback_query" in call.params["allowed_updates"]
    assert call.params["drop_pending_updates"] is False


@SQLITE
async def test_a_request_without_the_right_secret_is_refused_and_not_processed(webhook, fake, engine):
    fake.user(USER, first_name="Ana", language_code="en")
    update = fake.message_update(USER, "/start")
    assert await webhook.post(update, secret=None) == 401
    assert await webhook.post(update, secret="wrong") == 401
    assert await webhook.post(update, secret=SECRET + "x") == 401
    assert replies(fake) == [] and not fake.calls_of("sendMessage")
    async with create_session_factory(engine)() as session:
        assert (await session.exec(select(ProcessedUpdate))).all() == [], "nothing recorded either"


async def test_an_update_redelivered_or_sent_twice_at_once_is_handled_once(webhook, fake):
    fake.user(USER, first_name="Ana", language_code="en")
    update = fake.message_update(USER, "/start")
    assert await webhook.post(update) == 200
    assert len(replies(fake)) == 1 and "Welcome" in replies(fake)[0]
    assert await webhook.post(update) == 200, "a redelivery is acknowledged"
    again = fake.message_update(USER, "/help")
    assert await asyncio.gather(webhook.post(again), webhook.post(again)) == [200, 200]
    help_texts = [text for text in replies(fake) if "/language" in text]
    assert len(help_texts) == 1, replies(fake)


async def test_a_failed_update_is_answered_500_and_handled_on_redelivery(webhook, fake, caplog):
    fake.user(USER, first_name="Ana", language_code="en")
    update = fake.message_update(USER, "/start")
    fake.fail_next("sendMessage", 400)  # the welcome (a 400 is not retried); the apology goes through
    assert await webhook.post(update) == 500
    assert "something went wrong" in replies(fake)[0]
    assert await webhook.post(update) == 200, "Telegram's redelivery"
    assert "Welcome" in replies(fake)[1]
    assert await webhook.post(update) == 200 and len(replies(fake)) == 2, "and then only once"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"update {update['update_id']} failed"]


@SQLITE
async def test_an_update_that_always_fails_is_given_up_after_the_last_attempt(webhook, fake, caplog):
    fake.user(USER, first_name="Ana", language_code="en")
    update = fake.message_update(USER, "/start")
    fake.fail_next("sendMessage", 400, times=1000)  # this chat cannot be answered
    statuses = [await webhook.post(update) for _ in range(MAX_ATTEMPTS + 1)]
    assert statuses == [500] * (MAX_ATTEMPTS - 1) + [200, 200]
    assert f"update {update['update_id']} failed on every attempt" in caplog.text


@SQLITE
@ANY_STORE
async def test_a_body_that_is_no_update_is_refused(webhook):
    assert await webhook.post({}, data=b"not json") == 400
    assert await webhook.post({"message": {}}) == 400


@SQLITE
async def test_healthz_reports_the_database_and_redis(webhook):
    status, body = await webhook.health()
    redis = "ok" if webhook.server.settings.redis_url else "not configured"
    assert (status, body) == (200, {"status": "ok", "database": "ok", "redis": redis})


async def test_healthz_is_503_when_a_store_is_down(fake):
    broken_redis = webhook_settings(fake, redis_url="redis://127.0.0.1:1/0")
    broken_database = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    for settings, engine, failing in (
        (broken_redis, None, "redis"),
        (webhook_settings(fake), broken_database, "database"),
    ):
        dp = build_dispatcher(settings, engine=engine)
        server = WebhookServer(settings, dp, build_bot(settings), dp["services"].engine)
        try:
            response = await server.health(None)  # type: ignore[arg-type]
        finally:
            await server.dp.storage.close()
            await server.bot.session.close()
            await server.dp["services"].engine.dispose()
        body = json.loads(response.body)
        assert response.status == 503 and body["status"] == "unavailable"
        assert body[failing].startswith("error: "), body


def test_webhook_mode_needs_its_url_and_secret(fake):
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        WebhookServer(webhook_settings(fake, webhook_secret=None), None, None, None)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        WebhookServer(webhook_settings(fake, webhook_url=""), None, None, None)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match=r"Invalid setting WEBHOOK_SECRET: .*letters, digits"):
        load_settings(_env_file=None, webhook_secret="has spaces")


@pytest.mark.redis
async def test_update_logs_claim_once_and_give_back_on_failure(engine):
    """Both stores, directly: one claim wins; a failure frees the id until the last attempt."""
    redis = Redis.from_url(REDIS_TEST_URL)
    bot_id = uuid.uuid4().int % 10**9
    try:
        for log in (SQLUpdateLog(create_session_factory(engine)), RedisUpdateLog(redis)):
            claims = await asyncio.gather(*(log.claim(bot_id, 7) for _ in range(5)))
            assert sorted(claims) == [False] * 4 + [True]
            assert await log.failed(bot_id, 7) is True
            assert await log.claim(bot_id, 7) is True, "a retry may take it again"
            await log.done(bot_id, 7)
            assert await log.claim(bot_id, 7) is False
            assert await log.claim(bot_id + 1, 7) is True, "another bot's update 7 is another update"
    finally:
        await redis.delete(*[key async for key in redis.scan_iter(f"upd:{bot_id}*")])
        await redis.aclose()


# ---------------------------------------------------------------- graceful shutdown (processes)


def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"


@pytest.mark.slow
async def test_sigterm_in_webhook_mode_lets_the_update_in_progress_finish(fake, tmp_path):
    port = free_port()
    webhook = {"WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(port)}
    process = await start_bot_process(fake, sqlite_url(tmp_path), "webhook", LOG_LEVEL="INFO", **webhook)
    try:
        await fake.wait_for(lambda: fake.calls_of("setWebhook"), 60)
        fake.user(USER, first_name="Ana", language_code="en")
        fake.delay_next("sendMessage", 1.5)  # Telegram is slow: the welcome is still on its way
        async with aiohttp.ClientSession() as http:
            posting = asyncio.create_task(
                http.post(
                    f"http://127.0.0.1:{port}{PATH}",
                    json=fake.message_update(USER, "/start"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            )
            await fake.wait_for(lambda: fake.calls_of("sendMessage"), 20)
            process.send_signal(signal.SIGTERM)
            response = await posting
            assert response.status == 200, "the update in progress was finished and acknowledged"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        logs = await stopped(process)
    assert "Welcome" in replies(fake)[0]
    assert "webhook stopped" in logs


@pytest.mark.slow
async def test_sigterm_while_polling_lets_the_update_in_progress_finish(fake, tmp_path):
    process = await start_bot_process(fake, sqlite_url(tmp_path), LOG_LEVEL="INFO")
    try:
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), 60)
        user = fake.user(USER, first_name="Ana", language_code="en")
        fake.delay_next("sendMessage", 1.5)
        user.send("/start")
        await fake.wait_for(lambda: fake.calls_of("sendMessage"), 20)
        process.send_signal(signal.SIGTERM)
        logs = await stopped(process)
    finally:
        if process.returncode is None:
            process.kill()
    assert "Welcome" in replies(fake)[0], "the reply went out before the bot stopped"
    assert "waiting for 1 update(s) in progress" in logs
