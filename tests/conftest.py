"""Fixtures: databases (SQLite and PostgreSQL), the fake Bot API server, the real bot on top."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import bot.core.models  # noqa: F401  (tables on the metadata)
from bot.app import build_bot, build_dispatcher
from bot.core.crypto import new_key
from bot.core.db import create_engine, upgrade_schema
from bot.core.event import Event, load_event
from bot.core.settings import PROJECT_ROOT, Settings
from bot.registration.service import Answers
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram

POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
# One Redis database per pytest-xdist worker (15, 14...): tests that empty theirs run side by side.
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{15 - int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:])}"
EVENT_FILE = PROJECT_ROOT / "events" / "manila-2024.yaml"
# Ten days after the invitation letter: registration is open.
BEFORE_DEADLINE = datetime.fromisoformat("2024-04-20T10:00:00+08:00")
AFTER_DEADLINE = datetime.fromisoformat("2024-05-20T10:00:00+08:00")
# Passport numbers are stored encrypted: one key for the whole run.
PASSPORT_KEY = new_key()


def sample_answers(**changes: object) -> Answers:
    """A delegate's answers to the required questions (Ana Reyes, Akbayan, Philippines); `changes`
    override or add answers."""
    values: dict[str, object] = {
        "language": "en",
        "consent_version": "2024-04-10",
        "consent_at": BEFORE_DEADLINE,
        "full_name": "Ana Reyes",
        "gender": "woman",
        "country": "PH",
        "organisation": "Akbayan",
        "position": "International Secretary",
        "role": "delegate",
        "email": "ana@example.org",
        "phone": "+639171234567",
    }
    values.update(changes)
    return Answers.model_validate(values)


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


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": "123456:TEST-token",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "event_file": EVENT_FILE,
        "event_clock": BEFORE_DEADLINE,
        "admin_ids": frozenset({900}),
        "redis_url": None,
        "passport_key": PASSPORT_KEY,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


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


@dataclass
class App:
    fake: FakeTelegram
    dp: Dispatcher
    bot: Bot

    def chat(self, user_id: int = 1001, language_code: str | None = "en", first_name: str = "Ana") -> Chat:
        self.fake.user(user_id, first_name=first_name, language_code=language_code)
        return Chat(self.fake, self.dp, self.bot, user_id)
