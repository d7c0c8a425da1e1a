"""What the bot remembers about a Telegram user outside any registration."""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class BotUser(SQLModel, table=True):
    __tablename__ = "bot_user"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    # Chosen in the bot; None until the user picks one (Telegram's language_code is used then).
    language: str | None = Field(default=None, max_length=16)
    first_seen: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
