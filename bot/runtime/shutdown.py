"""Graceful shutdown: the updates being handled finish before the engine and sessions close."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 25.0


class InFlightUpdates(BaseMiddleware):
    """Counts the updates in progress (outer middleware on `dp.update`); `drain` is the first
    shutdown hook. Polling stops taking updates on SIGTERM but does not wait for the ones it
    started; webhook mode has already waited for its requests, so draining is then immediate."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def drain(self) -> None:
        if self._count:
            log.info("waiting for %d update(s) in progress", self._count)
        try:
            await asyncio.wait_for(self._idle.wait(), DRAIN_TIMEOUT)
        except TimeoutError:
            log.warning(
                "%d update(s) still in progress after %.0f s: stopping anyway", self._count, DRAIN_TIMEOUT
            )
