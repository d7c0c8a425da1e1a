"""Fixtures: databases (SQLite and PostgreSQL), the fake Bot API server, the real bot on top."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import bot.core.models  # noqa: F401  (tables on the metadata)
from bot.app import build_bot, build_dispatcher
from bot.core.db import create_engine, upgrade_schema
from bot.core.event import Event, load_event
from bot.core.settings import Settings
from tests.support.app import EVENT_FILE, POSTGRES_ADMIN_DSN, App, make_settings
from tests.support.fake_telegram import FakeTelegram


@pytest.fixture(scope="session")
def event() -> Event:
    return load_event(EVENT_FILE)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def migrated_engine(request, tmp_path_factory) -> AsyncIterator[AsyncEngine]:
    """One migrated database per backend for the whole run; tests empty it before use."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "bot.core.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade_schema(engine)
        yield engine
        await engine.dispose()
        return
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    engine = create_engine(f"{base}/{name}")
    try:
        await upgrade_schema(engine)
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    async with migrated_engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(text(f'DELETE FROM "{table.name}"'))
    return migrated_engine


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def settings(fake: FakeTelegram) -> Settings:
    return make_settings(telegram_api_base=fake.base_url)


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine, fake: FakeTelegram, caplog) -> AsyncIterator[App]:
    bot = build_bot(settings)
    dp = build_dispatcher(settings, engine=engine)
    yield App(fake, dp, bot)
    await bot.session.close()
    # A handler that failed shows the user an apology: a test that did not expect one fails.
    failures = [record for record in caplog.get_records("call") if record.levelno >= logging.ERROR]
    assert not failures, "\n".join(
        record.getMessage() + "\n" + (record.exc_text or "") for record in failures
    )
