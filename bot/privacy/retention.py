"""The daily retention check: once the retention period is over, personal data is purged."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.core.clock import Clock
from bot.privacy.service import PrivacyService

log = logging.getLogger(__name__)

DAY = 24 * 60 * 60


class RetentionJob:
    """Checks at start-up, then every `interval` seconds, while the bot runs."""

    def __init__(self, privacy: PrivacyService, clock: Clock, interval: float = DAY):
        self._privacy = privacy
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> None:
        # Every day after the period: anyone who talked to the bot since is forgotten too.
        if self._privacy.purge_due(self._clock.now()):
            await self._privacy.purge(self._clock.now())

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                # A database outage must not stop the checks: the next one tries again.
                log.exception("retention check failed")
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
