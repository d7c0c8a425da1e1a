"""A user's lock does not outlive the update that took it (bot/runtime/isolation.py)."""

import asyncio
from contextlib import AsyncExitStack

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.runtime.isolation import ReleaseLocksLeft, UpdateIsolation

KEY = StorageKey(bot_id=42, chat_id=7, user_id=7, destiny="aiogd:stack:")


async def test_a_lock_left_by_a_failed_update_is_released_when_the_update_ends():
    """As aiogram-dialog does when loading a dialogue fails: locked, then never unlocked."""
    isolation = UpdateIsolation()
    left_open = AsyncExitStack()

    async def failing_update(_event, _data):
        await left_open.enter_async_context(isolation.lock(KEY))
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        await ReleaseLocksLeft()(failing_update, None, {})

    async def next_update(_event, _data):
        async with isolation.lock(KEY):
            return "handled"

    assert await asyncio.wait_for(ReleaseLocksLeft()(next_update, None, {}), 1) == "handled"
    await left_open.aclose()  # a late unlock by its owner changes nothing
    assert not isolation._locks[KEY].locked()


async def test_updates_of_one_user_still_wait_for_each_other():
    isolation = UpdateIsolation()
    order: list[str] = []

    async def update(name: str) -> None:
        async def handler(_event, _data):
            async with isolation.lock(KEY):
                order.append(f"{name} in")
                await asyncio.sleep(0.01)
                order.append(f"{name} out")

        await ReleaseLocksLeft()(handler, None, {})

    await asyncio.gather(update("a"), update("b"))
    assert order == ["a in", "a out", "b in", "b out"]
