"""Telegram updates taken in webhook mode, so that a redelivered update is handled once."""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class ProcessedUpdate(SQLModel, table=True):
    __tablename__ = "processed_update"

    # Update ids count per bot: the bot id keeps two bots on one database apart.
    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    status: str = Field(max_length=10)  # processing, done, failed
    attempts: int = 0  # failed attempts so far
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
