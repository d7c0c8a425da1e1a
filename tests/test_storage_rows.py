"""How the database storage keeps its rows: one statement per read or write, no empty rows."""

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select

from bot.db import create_session_factory
from bot.storage import SQLStorage
from models import DialogState

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


async def test_reads_and_writes_are_one_statement_each(engine):
    """aiogram and aiogram-dialog call the storage five times per update (bench/dialogue.py)."""
    storage = SQLStorage(create_session_factory(engine))
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("PRAGMA"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await storage.set_data(KEY, {"intents": ["a1"]})
        await storage.set_data(KEY, {"intents": ["a1", "b2"]})
        assert await storage.get_data(KEY) == {"intents": ["a1", "b2"]}
        assert await storage.get_state(KEY) is None
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 4, statements
