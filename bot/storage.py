"""Dialogue state storage: the database by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import Row, delete, null, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.db import SessionFactory, autocommit_engine
from models import DialogState

_TABLE = DialogState.__table__

# aiogram-dialog keeps each dialogue stack under its own destiny: keys must include it.
KEY_BUILDER = DefaultKeyBuilder(with_destiny=True)


class SQLStorage(BaseStorage):
    """One row per key; survives restarts with the rest of the data and needs no extra server.

    aiogram and aiogram-dialog read three keys and write two on every update: each read or write
    is one Core statement (no ORM session; see `autocommit_engine`), writes without reading first.
    """

    def __init__(self, session_factory: SessionFactory, key_builder: KeyBuilder = KEY_BUILDER):
        self._sessions = session_factory
        self._keys = key_builder
        self._autocommit = autocommit_engine(session_factory)
        self._engine: AsyncEngine = session_factory.kw["bind"]
        self._insert = (postgresql if self._engine.dialect.name == "postgresql" else sqlite).insert

    async def _load(self, key: StorageKey) -> Row[Any] | None:
        storage_key = self._keys.build(key)
        async with self._autocommit.connect() as connection:
            result = await connection.execute(
                select(_TABLE.c.state, _TABLE.c.data).where(_TABLE.c.key == storage_key)
            )
            return result.first()

    async def _save(self, key: StorageKey, column: str, value: Any) -> None:
        """Set one column; the row goes once both are empty."""
        storage_key = self._keys.build(key)
        if value is None:
            emptied = "data" if column == "state" else "state"
            async with self._engine.begin() as connection:
                await connection.execute(
                    delete(_TABLE).where(_TABLE.c.key == storage_key, _TABLE.c[emptied].is_(None))
                )
                await connection.execute(
                    update(_TABLE).where(_TABLE.c.key == storage_key).values({column: null()})
                )
            return
        statement = self._insert(_TABLE).values({"key": storage_key, column: value})
        statement = statement.on_conflict_do_update(index_elements=[_TABLE.c.key], set_={column: value})
        async with self._autocommit.begin() as connection:
            await connection.execute(statement)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._save(key, "state", state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._load(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, "data", dict(data) or None)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._load(key)
        return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    async def chat_records(self, chat_id: int) -> dict[str, dict[str, Any]]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(DialogState).where(DialogState.key.startswith(_chat_prefix(chat_id)))
            )
            return {row.key: dict(row.data or {}) for row in rows}

    async def erase_chat(self, chat_id: int) -> None:
        async with self._sessions() as session:
            await session.exec(delete(DialogState).where(DialogState.key.startswith(_chat_prefix(chat_id))))
            await session.commit()

    async def chat_ids(self) -> set[int]:
        async with self._sessions() as session:
            return {_chat_of(key) for key in await session.exec(select(DialogState.key))}


# A chat's records, for /mydata, /forget and the retention purge. Private chats only: there the
# chat id is the user id, and aiogram-dialog keys every record of the user with it.
def _chat_prefix(chat_id: int) -> str:
    return f"{KEY_BUILDER.prefix}{KEY_BUILDER.separator}{chat_id}{KEY_BUILDER.separator}"


def _chat_of(key: str) -> int:
    return int(key.split(KEY_BUILDER.separator)[1])


async def chat_records(storage: BaseStorage, chat_id: int) -> dict[str, dict[str, Any]]:
    """Every dialogue record kept for the chat: storage key -> data."""
    if isinstance(storage, RedisStorage):
        records = {}
        async for key in storage.redis.scan_iter(match=_chat_prefix(chat_id) + "*"):
            name = key.decode() if isinstance(key, bytes) else key
            if name.endswith(":data"):
                records[name.removesuffix(":data")] = json.loads(await storage.redis.get(name) or "{}")
        return records
    return await storage.chat_records(chat_id)


async def erase_chat(storage: BaseStorage, chat_id: int) -> None:
    """Forget every dialogue record of the chat (a user's answers in progress among them)."""
    if isinstance(storage, RedisStorage):
        # Not the locks: the update being handled holds one, and they expire by themselves.
        keys = [
            key
            async for key in storage.redis.scan_iter(match=_chat_prefix(chat_id) + "*")
            if not (key.decode() if isinstance(key, bytes) else key).endswith(":lock")
        ]
        if keys:
            await storage.redis.delete(*keys)
        return
    await storage.erase_chat(chat_id)


async def chats_with_state(storage: BaseStorage) -> set[int]:
    if isinstance(storage, RedisStorage):
        match = f"{KEY_BUILDER.prefix}{KEY_BUILDER.separator}*"
        return {
            _chat_of(key.decode() if isinstance(key, bytes) else key)
            async for key in storage.redis.scan_iter(match=match)
        }
    return await storage.chat_ids()


def create_storage(redis_url: str | None, session_factory: SessionFactory) -> BaseStorage:
    if redis_url:
        return RedisStorage.from_url(redis_url, key_builder=KEY_BUILDER)
    return SQLStorage(session_factory)
