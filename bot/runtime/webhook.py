"""Webhook mode (`python -m bot webhook`): Telegram posts updates to an aiohttp server.

- `setWebhook` at start with the secret token and the update types the routers use; a request
  without the right `X-Telegram-Bot-Api-Secret-Token` is refused (401) before anything is read.
- Updates are handled before answering: a failed one is answered 500, so that Telegram delivers
  it again; the update log (bot/runtime/update_log.py) makes a redelivered or duplicated update run once,
  also across replicas.
- `/healthz`: the database and Redis, as JSON, 200 or 503.
- SIGTERM: stop accepting, let the updates in progress finish, then the dispatcher's shutdown hooks.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.db import create_session_factory
from bot.core.settings import Settings, SettingsError
from bot.runtime.errors import UpdateOutcome
from bot.runtime.update_log import RedisUpdateLog, SQLUpdateLog, UpdateLog

log = logging.getLogger(__name__)

# Time given to updates in progress at shutdown (keep the supervisor's stop timeout above it).
SHUTDOWN_GRACE = 25.0
HEALTH_TIMEOUT = 3.0


def create_update_log(dp: Dispatcher, engine: AsyncEngine) -> UpdateLog:
    """Redis when the dialogue state is there (one store to run), else the database."""
    if isinstance(dp.storage, RedisStorage):
        return RedisUpdateLog(dp.storage.redis)
    return SQLUpdateLog(create_session_factory(engine))


class UpdateHandler(SimpleRequestHandler):
    """aiogram's handler (secret check, webhook replies), handling each update once and in the
    request, so that the status code tells Telegram whether it worked."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str, update_log: UpdateLog) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret)
        self.update_log = update_log

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
            update_id = int(raw["update_id"])
        except (ValueError, TypeError, KeyError):
            log.warning("webhook request without an update: answered 400")
            return web.Response(status=400, text="not an update")
        try:
            if not await self.update_log.claim(bot.id, update_id):
                log.info("update %s already handled or in progress: skipped", update_id)
                return web.json_response({})
        except Exception:
            log.exception("update log unavailable; update %s left for redelivery", update_id)
            return web.Response(status=503, text="update log unavailable")

        try:
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError as error:
            # Retrying cannot help an update this aiogram cannot read: acknowledge it.
            log.error("update %s cannot be read: %s", update_id, error.errors()[0]["msg"])
            await self.update_log.done(bot.id, update_id)
            return web.json_response({})

        outcome = UpdateOutcome()
        result = None
        try:
            # Awaited to the end (not aiogram's 55-second cut-over to the background): the answer
            # must say whether the update was handled.
            result = await self.dispatcher.feed_update(bot, update, update_outcome=outcome)
        except Exception:
            log.exception("update %s failed", update_id)
            outcome.failed = True
        if not outcome.failed:
            try:
                await self.update_log.done(bot.id, update_id)
            except Exception:  # handled all the same; a redelivery waits for the claim's lease
                log.warning("update %s handled but not recorded as done", update_id, exc_info=True)
            reply = result if isinstance(result, TelegramMethod) else None
            return web.Response(body=self._build_response_writer(bot=bot, result=reply))
        if await self.update_log.failed(bot.id, update_id):
            return web.Response(status=500, text="update failed; deliver it again")
        log.error("update %s failed on every attempt: acknowledged, not retried", update_id)
        return web.json_response({})


def check_webhook_settings(settings: Settings) -> None:
    if not settings.webhook_url or settings.webhook_secret is None:
        missing = "WEBHOOK_URL" if not settings.webhook_url else "WEBHOOK_SECRET"
        raise SettingsError(f"Invalid setting {missing}: missing (needed in webhook mode, see README)")


class WebhookServer:
    def __init__(self, settings: Settings, dp: Dispatcher, bot: Bot, engine: AsyncEngine) -> None:
        check_webhook_settings(settings)
        self.settings, self.dp, self.bot, self.engine = settings, dp, bot, engine
        self.path = urlsplit(settings.webhook_url).path or "/"
        self.update_log = create_update_log(dp, engine)
        self.handler = UpdateHandler(dp, bot, settings.webhook_secret.get_secret_value(), self.update_log)
        app = web.Application()
        app.router.add_post(self.path, self.handler.handle)
        app.router.add_get("/healthz", self.health)
        self.runner = web.AppRunner(
            app, shutdown_timeout=SHUTDOWN_GRACE, access_log_format='%a "%r" %s %b %Tfs'
        )
        self.port: int | None = None

    def _hook_data(self) -> dict[str, Any]:
        return {"dispatcher": self.dp, "bots": [self.bot], **self.dp.workflow_data, "bot": self.bot}

    async def start(self, host: str | None = None, port: int | None = None) -> None:
        await self.dp.emit_startup(**self._hook_data())
        await self.runner.setup()
        site = web.TCPSite(
            self.runner,
            host or self.settings.webhook_host,
            self.settings.webhook_port if port is None else port,
        )
        await site.start()
        self.port = self.runner.addresses[0][1]
        # Set once listening, so that the first delivery finds the server; every replica sets the
        # same URL, which is idempotent. The webhook is not removed at shutdown: others serve it.
        await self.bot.set_webhook(
            url=self.settings.webhook_url,
            secret_token=self.settings.webhook_secret.get_secret_value(),
            allowed_updates=self.dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook listening on port %s for %s", self.port, self.settings.webhook_url)

    async def stop(self) -> None:
        """Stop accepting; requests in progress finish (up to the grace time); then shut down."""
        await self.runner.cleanup()
        try:
            await self.dp.emit_shutdown(**self._hook_data())
        finally:
            await self.dp.storage.close()
            await self.bot.session.close()
        log.info("webhook stopped")

    async def health(self, request: web.Request) -> web.Response:
        checks = {"database": self._check_database(self.engine), "redis": self._check_redis()}
        results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
        healthy = all(state in ("ok", "not configured") for state in results.values())
        return web.json_response(
            {"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503
        )

    @staticmethod
    async def _check_database(engine: AsyncEngine) -> str:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return f"error: {type(error).__name__}"
        return "ok"

    async def _check_redis(self) -> str:
        if not isinstance(self.dp.storage, RedisStorage):
            return "not configured"
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await self.dp.storage.redis.ping()
        except Exception as error:
            return f"error: {type(error).__name__}"
        return "ok"


async def serve_webhook(settings: Settings, dp: Dispatcher, bot: Bot, engine: AsyncEngine) -> None:
    """Run until SIGTERM or SIGINT."""
    server = WebhookServer(settings, dp, bot, engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        await stop.wait()
        log.info("stopping: finishing the updates in progress")
    finally:
        await server.stop()
