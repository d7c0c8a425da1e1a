"""The rate limiter keeps its rate when the event loop wakes senders late (a busy bot)."""

from __future__ import annotations

import asyncio
import itertools

from bot.broadcasts.ratelimit import RateLimiter


class LateClock:
    """A monotonic clock whose sleeps all end `late` seconds after they should."""

    def __init__(self, late: float) -> None:
        self.now = 0.0
        self.late = late

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.late
        await asyncio.sleep(0)


async def test_late_wake_ups_do_not_lower_the_rate():
    clock = LateClock(late=0.03)  # 30% of a slot
    limiter = RateLimiter(10, 0, monotonic=clock.monotonic, sleep=clock.sleep)
    times = []
    for chat in range(21):
        await limiter.acquire(chat)
        times.append(clock.now)
    # Booking from the moment of waking would give 20 * 0.13 = 2.6 s.
    assert times[-1] <= 2.0 + 0.03 + 1e-9
    assert all(later - earlier >= 0.05 - 1e-9 for earlier, later in itertools.pairwise(times))


async def test_no_burst_after_a_late_wake_up_beyond_a_slot():
    clock = LateClock(late=0.5)  # five slots late each time
    limiter = RateLimiter(10, 0, monotonic=clock.monotonic, sleep=clock.sleep)
    times = []
    for chat in range(4):
        await limiter.acquire(chat)
        times.append(clock.now)
    assert all(later - earlier >= 0.05 - 1e-9 for earlier, later in itertools.pairwise(times))
