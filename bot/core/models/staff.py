"""Staff granted in the bot by admins, and the audit log of staff actions on personal data."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    granted_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    granted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    action: str = Field(max_length=40)
    # Ids only (registration id, user id...): the log itself holds no personal data.
    subject: str | None = Field(default=None, max_length=80)
    details: dict | None = Field(default=None, sa_column=Column(JSON))
