"""Dialogue state storage: the database by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject
from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.core.db import SessionFactory, insert_for
from bot.core.models import DialogState

log = logging.getLogger(__name__)

_TABLE = DialogState.__table__
# Built once: SQLAlchemy then reuses its compiled form without rebuilding the expression.
_SELECT_RECORD = select(_TABLE.c.state, _TABLE.c.data).where(_TABLE.c.key == bindparam("key"))

# aiogram-dialog keeps each dialogue stack under its own destiny: keys must include it.
KEY_BUILDER = DefaultKeyBuilder(with_destiny=True)


# A record: (state, data as JSON text); (None, None) for a key without a row.
_Record = tuple[str | None, str | None]
_ABSENT: _Record = (None, None)

# Set while the dispatcher handles an update (`StateWrites`): its writes are made durable together
# when the update is done, instead of one by one.
_in_update: ContextVar[bool] = ContextVar("in_update", default=False)


class SQLStorage(BaseStorage):
    """One row per key; survives restarts with the rest of the data and needs no extra server.

    aiogram and aiogram-dialog read three keys and write two on every update. This storage serves
    one process (several processes need REDIS_URL: README, "Several processes"), so the records
    are also kept here (the `cache_size` most recently used keys, each for `keep_seconds` after it
    was last read from or written to the database): reads cost no statement, and a write that
    changes nothing is not made. The time limit bounds what a change made from outside the bot
    (`python -m bot purge` while it runs) can miss.

    Writes are committed in groups: every write waiting when a commit starts goes into the next
    one, a single upsert of whole rows. An update's writes are durable once the update is done
    (`StateWrites` waits for them); a write outside an update is durable when `set_*` returns.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        key_builder: KeyBuilder = KEY_BUILDER,
        cache_size: int = 20_000,
        keep_seconds: float = 60.0,
    ):
        self._sessions = session_factory
        self._keys = key_builder
        self._engine: AsyncEngine = session_factory.kw["bind"]
        insert = insert_for(self._engine, _TABLE)
        self._upsert = insert.on_conflict_do_update(
            index_elements=[_TABLE.c.key], set_={"state": insert.excluded.state, "data": insert.excluded.data}
        )
        self._cache: OrderedDict[str, tuple[_Record, float]] = OrderedDict()  # key -> (record, until)
        self._cache_size = cache_size
        self._keep_seconds = keep_seconds
        # Written here, not yet committed: the next group, and the group being committed.
        self._pending: dict[str, _Record] = {}
        self._committing: dict[str, _Record] = {}
        self._pending_committed: asyncio.Future[None] | None = None
        self._committing_committed: asyncio.Future[None] | None = None
        self._committer: asyncio.Task[None] | None = None

    def _remember(self, storage_key: str, record: _Record) -> None:
        self._cache[storage_key] = (record, time.monotonic() + self._keep_seconds)
        self._cache.move_to_end(storage_key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _known(self, storage_key: str) -> _Record | None:
        for records in (self._pending, self._committing):
            if storage_key in records:
                return records[storage_key]
        record, until = self._cache.get(storage_key, (None, 0.0))
        if until < time.monotonic():
            return None
        self._cache.move_to_end(storage_key)
        return record

    async def _load(self, key: StorageKey) -> _Record:
        storage_key = self._keys.build(key)
        record = self._known(storage_key)
        if record is not None:
            return record
        async with self._engine.connect() as connection:
            row = (await connection.execute(_SELECT_RECORD, {"key": storage_key})).first()
        # A write made while the row was being read is newer than the row.
        record = self._known(storage_key) or (
            (row.state, json.dumps(row.data) if row.data else None) if row else _ABSENT
        )
        self._remember(storage_key, record)
        return record

    async def _save(self, key: StorageKey, state: str | None, data: str | None) -> None:
        storage_key = self._keys.build(key)
        record = (state, data)
        if record == self._known(storage_key):
            return
        self._remember(storage_key, record)
        self._pending[storage_key] = record
        if self._pending_committed is None:
            self._pending_committed = asyncio.get_running_loop().create_future()
        committed = self._pending_committed
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_groups())
        if not _in_update.get():
            await asyncio.shield(committed)

    async def _commit_groups(self) -> None:
        try:
            while self._pending:
                self._committing, self._pending = self._pending, {}
                committed = self._committing_committed = self._pending_committed
                self._pending_committed = None
                assert committed is not None
                try:
                    await self._commit(self._committing)
                except Exception as error:
                    log.warning(
                        "dialogue state not saved (%s): %d keys", type(error).__name__, len(self._committing)
                    )
                    # What the database holds is unknown for these keys: they are read again.
                    for storage_key in self._committing:
                        self._cache.pop(storage_key, None)
                    committed.set_exception(error)
                    committed.exception()  # told to whoever waits for it, not logged again
                else:
                    committed.set_result(None)
                finally:
                    self._committing, self._committing_committed = {}, None
        finally:
            self._committer = None

    async def _commit(self, records: dict[str, _Record]) -> None:
        rows = [
            {"key": key, "state": state, "data": json.loads(data) if data else None}
            for key, (state, data) in records.items()
            if (state, data) != _ABSENT
        ]
        emptied = [key for key, record in records.items() if record == _ABSENT]
        async with self._engine.begin() as connection:
            if rows:
                await connection.execute(self._upsert, rows)
            if emptied:
                await connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(emptied)))

    async def written(self) -> None:
        """Wait until the writes made so far are committed; raises if their commit failed."""
        for committed in (self._committing_committed, self._pending_committed):
            if committed is not None:
                await asyncio.shield(committed)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._save(key, state.state if isinstance(state, State) else state, (await self._load(key))[1])

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # Kept as JSON text: it cannot change with the caller's dicts, and reads as the row would.
        await self._save(key, (await self._load(key))[0], json.dumps(data) if data else None)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = (await self._load(key))[1]
        return json.loads(data) if data else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    async def chat_records(self, chat_id: int) -> dict[str, dict[str, Any]]:
        await self.written()
        async with self._sessions() as session:
            rows = await session.exec(
                select(DialogState).where(DialogState.key.startswith(_chat_prefix(chat_id)))
            )
            return {row.key: dict(row.data or {}) for row in rows}

    async def erase_chat(self, chat_id: int) -> None:
        await self.written()
        prefix = _chat_prefix(chat_id)
        for key in [key for key in self._cache if key.startswith(prefix)]:
            del self._cache[key]
        async with self._sessions() as session:
            await session.exec(delete(DialogState).where(DialogState.key.startswith(prefix)))
            await session.commit()

    async def chat_ids(self) -> set[int]:
        await self.written()
        async with self._sessions() as session:
            return {_chat_of(key) for key in await session.exec(select(DialogState.key))}


class StateWrites(BaseMiddleware):
    """Outer middleware on `dp.update`: the update is done once its dialogue state is committed."""

    def __init__(self, storage: SQLStorage):
        self._storage = storage

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _in_update.set(True)
        try:
            result = await handler(event, data)
        finally:
            _in_update.reset(token)
        await self._storage.written()
        return result


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
