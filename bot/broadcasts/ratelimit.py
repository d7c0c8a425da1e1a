"""Telegram's sending limits for one bot process: messages per second overall, and per chat.

Telegram answers 429 ("retry after N seconds") beyond about 30 messages per second overall or
1 per second in a chat; a 429 then holds back every request of the bot, so `pause` stops all
sending, not only the message that got it. Sends are spaced evenly (no bursts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable


class RateLimiter:
    def __init__(
        self,
        rate: float,
        per_chat_interval: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_send = 0.0
        self._next_in_chat: dict[Hashable, float] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` from now (a 429's retry_after); never shortens a pause."""
        self.paused_until = max(self.paused_until, self._monotonic() + seconds)

    def pause_remaining(self) -> float:
        """Seconds until sending may go on after a 429 (0 when not paused)."""
        return max(0.0, self.paused_until - self._monotonic())

    def is_paused(self) -> bool:
        return self.pause_remaining() > 0

    async def acquire(self, chat_id: Hashable) -> None:
        """Wait until a message may go to `chat_id`, and count it as sent."""
        waited_for_rate = False
        while True:
            now = self._monotonic()
            ready_at = max(self._next_send, self._next_in_chat.get(chat_id, 0.0), self.paused_until)
            if ready_at <= now:
                # No await between the check and the booking: concurrent callers cannot both pass.
                # A sender that slept until the overall rate allowed it books the next slot from
                # the one it waited for, not from when it woke: woken late (a busy event loop),
                # it would otherwise slow every later send (a fifth below the rate at 95/s,
                # bench/broadcast.py). Two sends stay at least half a slot apart.
                start = max(self._next_send, now - self._interval / 2) if waited_for_rate else now
                self._next_send = start + self._interval
                self._next_in_chat[chat_id] = now + self._per_chat_interval
                self._forget_idle_chats(now)
                return
            waited_for_rate = ready_at == self._next_send
            # Sleep, then look again: a 429 may have paused everything meanwhile.
            await self._sleep(ready_at - now)

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._next_in_chat) > 4096:
            self._next_in_chat = {chat: at for chat, at in self._next_in_chat.items() if at > now}
