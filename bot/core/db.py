"""Database engine, sessions and schema migrations (Alembic), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import PROJECT_ROOT, sqlite_path

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(database_url: str) -> AsyncEngine:
    path = sqlite_path(database_url)
    if path is None:
        return create_async_engine(database_url, pool_pre_ping=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        # WAL lets the dialogue storage read while a registration is being written.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def autocommit_engine(sessions: SessionFactory) -> AsyncEngine:
    """The engine for the one-statement reads and writes done on every update (dialogue state,
    language): reads in `engine.connect()`, writes in `engine.begin()`, which commits them.

    On PostgreSQL it is the sessions' engine in autocommit mode: no BEGIN and COMMIT round trips.
    SQLite's driver only begins a transaction before a write and commits it at once; switching
    its connections to autocommit and back would cost four calls to the driver's thread each.
    """
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def insert_for(engine: AsyncEngine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The engine's dialect's INSERT, for its `ON CONFLICT` upserts (the same on both)."""
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations on the engine's own connection (no second event loop)."""

    def _upgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:  # migrations/env.py commits each revision
        await connection.run_sync(_upgrade)
