"""Retries of Bot API requests that fail for a moment (5xx, network errors, timeouts, 429).

aiogram's session does not retry. `RetryRequests` is a request middleware on the bot's session:
while an update is being handled (`InteractiveUpdates` marks it), a failed request is tried again
with a bounded backoff, so a delegate still gets their answer when Telegram hiccups.

Policy: at least once for interactive replies. Telegram may have processed a request whose
answer was lost (a timeout, a dropped connection, some 5xx): retrying a `send*` can then deliver
the message twice. A duplicate reply is only noise, while a lost one leaves the delegate stuck
without their next question, so replies are retried all the same. 429 is always safe to retry
(Telegram did nothing) and is retried after the wait it asks for, when that wait is short.

Background work (the broadcast outbox) is not retried here: it has its own retry schedule,
global pause on 429 and in-flight accounting, which a hidden retry underneath would defeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)

_interactive: ContextVar[bool] = ContextVar("interactive", default=False)


class InteractiveUpdates(BaseMiddleware):
    """Outer middleware on `dp.update`: requests made while handling an update are retried."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _interactive.set(True)
        try:
            return await handler(event, data)
        finally:
            _interactive.reset(token)


class RetryRequests(BaseRequestMiddleware):
    def __init__(self, attempts: int = 4, backoff: float = 0.5, longest_wait: float = 10.0):
        self.attempts = attempts  # in all, the first one included
        self.backoff = backoff  # seconds before the first retry, doubled for each next one
        self.longest_wait = longest_wait  # a longer 429 wait is not waited for: the error stands

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not _interactive.get():
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                delay = float(error.retry_after)
                if attempt >= self.attempts or delay > self.longest_wait:
                    raise
                reason = "429"
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt >= self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                reason = type(error).__name__
            log.warning(
                "%s failed (%s); retry %s of %s in %.1f s",
                method.__api_method__,
                reason,
                attempt,
                self.attempts - 1,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1
