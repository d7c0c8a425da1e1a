"""How the database storage keeps its rows: no empty rows, reads from the process, writes
committed in groups."""

import asyncio

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select

from bot.core.db import create_session_factory
from bot.core.models import DialogState
from bot.runtime.storage import SQLStorage, StateWrites

KEY = StorageKey(bot_id=42, chat_id=7, user_id=7, destiny="aiogd:stack:")


async def rows(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(DialogState))).scalar_one()


async def test_a_key_keeps_a_row_until_state_and_data_are_both_empty(engine):
    storage = SQLStorage(create_session_factory(engine))
    await storage.set_state(KEY, "RegistrationSG:email")
    await storage.set_data(KEY, {"answers": {"email": "ana@example.org"}})
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) == "RegistrationSG:email" and await storage.get_data(KEY) == {}
    assert await rows(engine) == 1
    await storage.set_data(KEY, {"n": 1})
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {"n": 1}
    await storage.set_data(KEY, {})
    assert await rows(engine) == 0
    await storage.set_state(KEY, None)  # clearing what is not there is fine
    assert await storage.get_state(KEY) is None and await rows(engine) == 0


class Statements(list):
    """The SQL statements an engine runs while the block is open."""

    def __init__(self, engine):
        super().__init__()
        self._engine = engine.sync_engine

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("PRAGMA"):
            self.append(statement.split()[0])

    def __enter__(self):
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


async def test_a_key_is_read_once_and_a_write_that_changes_nothing_is_not_made(engine):
    """aiogram and aiogram-dialog call the storage five times per update (bench/dialogue.py)."""
    storage = SQLStorage(create_session_factory(engine))
    with Statements(engine) as statements:
        await storage.set_data(KEY, {"intents": ["a1"]})
        await storage.set_data(KEY, {"intents": ["a1", "b2"]})
        await storage.set_data(KEY, {"intents": ["a1", "b2"]})
        assert await storage.get_data(KEY) == {"intents": ["a1", "b2"]}
        assert await storage.get_state(KEY) is None
    assert statements == ["SELECT", "INSERT", "INSERT"]
    # What another instance reads is what was written: each write was committed when it returned.
    assert await SQLStorage(create_session_factory(engine)).get_data(KEY) == {"intents": ["a1", "b2"]}


async def test_data_read_back_does_not_change_with_the_callers_dicts(engine):
    storage = SQLStorage(create_session_factory(engine))
    data = {"answers": {"email": "ana@example.org"}}
    await storage.set_data(KEY, data)
    data["answers"]["email"] = "changed@example.org"
    read = await storage.get_data(KEY)
    read["answers"]["email"] = "changed again"
    assert await storage.get_data(KEY) == {"answers": {"email": "ana@example.org"}}


async def test_the_writes_of_updates_handled_together_are_committed_together(engine):
    """Inside updates (StateWrites), writes are grouped: 20 updates' writes, far fewer commits;
    each update is done only once its writes are in the database."""
    storage = SQLStorage(create_session_factory(engine))
    middleware = StateWrites(storage)
    keys = [StorageKey(bot_id=42, chat_id=user, user_id=user, destiny="aiogd:stack:") for user in range(20)]

    async def handle(key: StorageKey) -> None:
        async def handler(_event, _data) -> None:
            await storage.set_data(key, {"stack": [key.user_id]})
            await storage.set_state(key, "RegistrationSG:email")

        await middleware(handler, None, {})
        # Done: a process started now (a restart) finds the update's state.
        assert await SQLStorage(create_session_factory(engine)).get_data(key) == {"stack": [key.user_id]}

    for key in keys:  # known keys: no reads, so only the writes are counted
        await storage.get_data(key)
    with Statements(engine) as statements:
        await asyncio.gather(*(handle(key) for key in keys))
    assert 1 <= statements.count("INSERT") <= 4, statements
    assert await rows(engine) == 20
    fresh = SQLStorage(create_session_factory(engine))
    assert [await fresh.get_state(key) for key in keys] == ["RegistrationSG:email"] * 20


async def test_a_failed_commit_reaches_the_update_and_the_key_is_read_again(engine, monkeypatch):
    storage = SQLStorage(create_session_factory(engine))
    await storage.set_data(KEY, {"n": 1})

    async def failing_commit(_records) -> None:
        raise ConnectionError("database away")

    monkeypatch.setattr(storage, "_commit", failing_commit)
    with pytest.raises(ConnectionError):
        await StateWrites(storage)(lambda _e, _d: storage.set_data(KEY, {"n": 2}), None, {})
    monkeypatch.undo()
    # Not what was lost with the commit: what the database holds.
    assert await storage.get_data(KEY) == {"n": 1}


async def test_only_the_most_recently_used_keys_are_kept_in_the_process(engine):
    storage = SQLStorage(create_session_factory(engine), cache_size=2)
    keys = [StorageKey(bot_id=42, chat_id=user, user_id=user, destiny="default") for user in range(3)]
    for number, key in enumerate(keys):
        await storage.set_data(key, {"n": number})
    with Statements(engine) as statements:
        assert [await storage.get_data(key) for key in reversed(keys)] == [{"n": 2}, {"n": 1}, {"n": 0}]
    assert statements == ["SELECT"]  # only the first key's record had left the process


async def test_a_change_made_outside_the_bot_is_seen_once_the_kept_record_is_old(engine):
    """`python -m bot purge` run beside the bot erases rows the bot has read."""
    storage = SQLStorage(create_session_factory(engine), keep_seconds=0.0)
    await storage.set_data(KEY, {"answers": {"email": "ana@example.org"}})
    async with engine.begin() as connection:
        await connection.execute(DialogState.__table__.delete())
    assert await storage.get_data(KEY) == {}
