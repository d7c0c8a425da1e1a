"""Alembic environment: runs on the bot's own async connection, or on DATABASE_URL from the CLI."""

import asyncio

from alembic import context
from sqlmodel import SQLModel

import bot.core.models  # noqa: F401  (registers the tables on the metadata)
from bot.core.db import create_engine
from bot.core.settings import load_settings

target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        # Each revision commits with its version stamp: a failed revision leaves the database at
        # the one before (SQLite runs DDL outside transactions, so nothing could be rolled back).
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    engine = create_engine(load_settings().database_url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_settings())
