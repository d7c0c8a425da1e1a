"""One update at a time per user within one process, with no lock outliving its update.

aiogram-dialog takes a user's lock before it loads their dialogue from the storage and releases
it around the handler; when the load itself fails (the database away for a moment), the lock is
never released, and every later update of that user waits for it until the bot restarts.
Redis locks expire by themselves; these are released when the update that took them ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)


class _Taken:
    def __init__(self, lock: asyncio.Lock):
        self._lock = lock
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._lock.release()


# The locks taken while the dispatcher handles an update (set by `ReleaseLocksLeft`).
_taken_in_update: ContextVar[list[_Taken] | None] = ContextVar("taken_in_update", default=None)


class UpdateIsolation(SimpleEventIsolation):
    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock = self._locks[key]
        await lock.acquire()
        taken = _Taken(lock)
        in_update = _taken_in_update.get()
        if in_update is not None:
            in_update.append(taken)
        try:
            yield
        finally:
            taken.release()


class ReleaseLocksLeft(BaseMiddleware):
    """Outer middleware on `dp.update`, with `UpdateIsolation`."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        in_update: list[_Taken] = []
        token = _taken_in_update.set(in_update)
        try:
            return await handler(event, data)
        finally:
            _taken_in_update.reset(token)
            left = [taken for taken in in_update if not taken.released]
            for taken in left:
                taken.release()
            if left:
                log.warning("%d dialogue lock(s) left by a failed update released", len(left))
