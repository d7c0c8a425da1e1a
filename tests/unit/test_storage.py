"""Dialogue state storage: database (default) and Redis, both for real."""

import uuid

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.core.db import create_session_factory
from bot.runtime.storage import KEY_BUILDER, SQLStorage, create_storage
from tests.support.app import REDIS_TEST_URL


def key(destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=42, chat_id=7, user_id=7, destiny=destiny)


async def check_round_trip(storage) -> None:
    k = key(f"aiogd:stack:{uuid.uuid4().hex}")
    assert await storage.get_state(k) is None and await storage.get_data(k) == {}
    await storage.set_state(k, "RegistrationSG:email")
    await storage.set_data(k, {"answers": {"full_name": "Ana", "arrival_date": "2024-07-29"}, "n": 1})
    assert await storage.get_state(k) == "RegistrationSG:email"
    assert (await storage.get_data(k))["answers"]["full_name"] == "Ana"
    # Destinies are separate records (aiogram-dialog keeps a stack and contexts per destiny).
    assert await storage.get_data(key("other")) == {}
    await storage.update_data(k, {"n": 2})
    assert (await storage.get_data(k))["n"] == 2
    await storage.set_state(k, None)
    await storage.set_data(k, {})
    assert await storage.get_state(k) is None and await storage.get_data(k) == {}


async def test_sql_storage_round_trip_and_survives_new_instance(engine):
    sessions = create_session_factory(engine)
    await check_round_trip(SQLStorage(sessions))
    first = SQLStorage(sessions)
    await first.set_data(key(), {"step": "passport"})
    assert await SQLStorage(sessions).get_data(key()) == {"step": "passport"}


@pytest.mark.redis
async def test_redis_storage_round_trip():
    storage = create_storage(REDIS_TEST_URL, session_factory=None)
    assert isinstance(storage, RedisStorage) and storage.key_builder is KEY_BUILDER
    try:
        await check_round_trip(storage)
    finally:
        await storage.close()
