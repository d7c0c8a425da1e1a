"""Settings from the environment or `.env` (every one is documented in `.env.example`)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.crypto import parse_keys

TELEGRAM_API = "https://api.telegram.org"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    # Empty values count as unset: a `.env` copied from `.env.example` leaves optional ones empty.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: str = ""
    telegram_api_base: str = TELEGRAM_API
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    redis_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    event_file: Path = PROJECT_ROOT / "events" / "manila-2024.yaml"
    event_clock: datetime | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json", "logfmt"] = "text"
    # Local emulator (`make run` without BOT_TOKEN): the web chat's port on 127.0.0.1.
    emulator_port: int = Field(default=8080, ge=1, le=65535)
    # Webhook mode (`python -m bot webhook`): the public HTTPS URL Telegram posts to, the secret
    # it sends back in X-Telegram-Bot-Api-Secret-Token, and where this process listens.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # Applying migrations at start-up keeps a one-command deployment; production can turn it off
    # and run `python -m bot db upgrade` from its release step instead.
    migrate_on_start: bool = True
    # Fernet keys, comma-separated, the newest first (bot/core/crypto.py). Required to run.
    passport_key: SecretStr | None = None
    # Personal data is erased this many days after the event's last day (see the privacy notice).
    retention_days: int = Field(default=90, ge=0)
    # The organisers' Telegram group: delegates' questions are posted there, replies relayed back.
    organiser_chat_id: int | None = None
    # Typed questions are matched by meaning as well as by keywords (bot/questions/semantic.py);
    # the embeddings of the event file's texts are kept in this directory between runs.
    semantic_answers: bool = True
    embeddings_dir: Path | None = Path("data/cache")
    # Broadcasts and reminders: messages per second overall, and seconds between two messages to
    # the same chat (Telegram's limits are about 30/s and 1/s; see README).
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    broadcast_per_chat_interval: float = Field(default=1.0, ge=0, le=60)

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

    @field_validator("passport_key", mode="before")
    @classmethod
    def _valid_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return ",".join(parse_keys(value)) or None
        return value

    def passport_keys(self) -> list[str]:
        """The passport keys, newest first; stops start-up when there is none.

        The registration asks for passport numbers (visa letters), which are only ever stored
        encrypted: without a key the bot could not keep them, so it does not start.
        """
        if self.passport_key is None:
            raise SettingsError(
                "Invalid setting PASSPORT_KEY: missing (passport numbers are stored encrypted; "
                "generate a key with `python -m bot keys new`)"
            )
        return self.passport_key.get_secret_value().split(",")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters: letters, digits, _ and -")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
            raise ValueError("expected an absolute URL, e.g. https://bot.example.org/telegram")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("redis_url", "organiser_chat_id", mode="before")
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
