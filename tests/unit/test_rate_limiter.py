"""The broadcast rate limiter, on a fake monotonic clock."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from bot.broadcasts.ratelimit import RateLimiter


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def limiter(self, rate: float, per_chat_interval: float) -> RateLimiter:
        return RateLimiter(rate, per_chat_interval, monotonic=self.monotonic, sleep=self.sleep)


async def send_times(clock: FakeTime, limiter: RateLimiter, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        await limiter.acquire(chat)
        times.append(round(clock.now, 6))
    return times


async def test_sends_are_spaced_by_the_overall_rate():
    clock = FakeTime()
    limiter = clock.limiter(rate=10, per_chat_interval=1.0)
    assert await send_times(clock, limiter, [1, 2, 3, 4, 5]) == [0.0, 0.1, 0.2, 0.3, 0.4]


async def test_one_message_per_interval_in_each_chat():
    clock = FakeTime()
    limiter = clock.limiter(rate=100, per_chat_interval=1.0)
    assert await send_times(clock, limiter, [1, 2, 1, 1]) == [0.0, 0.01, 1.0, 2.0]


async def test_idle_time_is_not_saved_up_for_a_burst():
    clock = FakeTime()
    limiter = clock.limiter(rate=10, per_chat_interval=0)
    await limiter.acquire(1)
    clock.now = 60.0
    assert await send_times(clock, limiter, [2, 3, 4]) == [60.0, 60.1, 60.2]


async def test_a_pause_holds_every_chat_and_is_never_shortened():
    clock = FakeTime()
    limiter = clock.limiter(rate=10, per_chat_interval=1.0)
    await limiter.acquire(1)
    limiter.pause(5)
    limiter.pause(2)  # a shorter retry_after arriving later does not cut the first one
    assert limiter.is_paused()
    assert await send_times(clock, limiter, [2, 3]) == [5.0, 5.1]
    assert not limiter.is_paused()


async def test_a_pause_during_a_wait_is_honoured():
    """A sender already waiting for its turn looks again when it wakes up."""
    clock = FakeTime()
    limiter = clock.limiter(rate=1, per_chat_interval=0)
    await limiter.acquire(1)  # next send at 1.0

    async def pause_meanwhile() -> None:
        assert clock.now == 1.0, "the other sender is asleep until its turn"
        limiter.pause(30)

    await asyncio.gather(limiter.acquire(2), pause_meanwhile())
    assert clock.now == 31.0


async def test_concurrent_senders_never_share_a_slot():
    clock = FakeTime()
    limiter = clock.limiter(rate=20, per_chat_interval=1.0)
    times: list[float] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        times.append(clock.now)

    await asyncio.gather(*(send(chat % 7) for chat in range(50)))
    assert len(times) == 50
    times.sort()
    # Half a slot: a sender woken late catches up on the schedule (see RateLimiter.acquire).
    assert all(later - earlier >= 0.025 - 1e-9 for earlier, later in pairwise(times))
    assert times[-1] - times[0] >= 49 * 0.05 - 1e-9, "never above the rate on average"


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0, 1.0)
