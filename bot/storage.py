"""Dialogue state storage: the database by default, Redis when REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import SessionFactory
from models import DialogState

# aiogram-dialog keeps each dialogue stack under its own destiny: keys must include it.
KEY_BUILDER = DefaultKeyBuilder(with_destiny=True)


class SQLStorage(BaseStorage):
    """One row per key; survives restarts with the rest of the data and needs no extra server."""

    def __init__(self, session_factory: SessionFactory, key_builder: KeyBuilder = KEY_BUILDER):
        self._sessions = session_factory
        self._keys = key_builder

    async def _load(self, key: StorageKey) -> DialogState | None:
        async with self._sessions() as session:
            return await session.get(DialogState, self._keys.build(key))

    async def _save(self, key: StorageKey, **values: Any) -> None:
        storage_key = self._keys.build(key)
        async with self._sessions() as session:
            current = await session.get(DialogState, storage_key)
            state = values.get("state", current.state if current else None)
            data = values.get("data", current.data if current else None)
            if state is None and not data:
                await session.exec(delete(DialogState).where(DialogState.key == storage_key))
            else:
                dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
                statement = dialect.insert(DialogState).values(key=storage_key, state=state, data=data)
                await session.exec(
                    statement.on_conflict_do_update(
                        index_elements=[DialogState.key], set_={"state": state, "data": data}
                    )
                )
            await session.commit()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._save(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._load(key)
        return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


def create_storage(redis_url: str | None, session_factory: SessionFactory) -> BaseStorage:
    if redis_url:
        return RedisStorage.from_url(redis_url, key_builder=KEY_BUILDER)
    return SQLStorage(session_factory)
