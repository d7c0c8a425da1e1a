"""Settings from the environment or `.env` (every one is documented in `.env.example`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = ""
    telegram_api_base: str = TELEGRAM_API
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    redis_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    event_file: Path = PROJECT_ROOT / "events" / "manila-2024.yaml"
    event_clock: datetime | None = None
    log_level: str = "INFO"
    # Applying migrations at start-up keeps a one-command deployment; production can turn it off
    # and run `python -m bot db upgrade` from its release step instead.
    migrate_on_start: bool = True

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        # BotFather tokens look like 123456:ABC-DEF...; catching a pasted half early beats a 401.
        if value and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("expected <digits>:<secret> as given by BotFather")
        return value

    @field_validator("event_clock")
    @classmethod
    def _clock_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2024-04-10T09:00:00+02:00")
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None


class SettingsError(SystemExit):
    """Start-up stops with one line that names the faulty setting."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"Invalid setting {name}: {first['msg']}") from None


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases or in-memory SQLite)."""
    prefix = database_url.split(":///", 1)
    if not database_url.startswith("sqlite") or len(prefix) != 2 or prefix[1] in ("", ":memory:"):
        return None
    return Path(prefix[1])
