"""A party's delegation to an event: its members join through an invitation link."""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class Delegation(SQLModel, table=True):
    __tablename__ = "delegation"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    party: str = Field(max_length=200)
    country: str = Field(max_length=2)
    # None: no limit.
    max_size: int | None = None
    # The invitation link's payload (`inv_<token>`): unguessable, never shown to non-staff.
    token: str = Field(max_length=32, unique=True)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
