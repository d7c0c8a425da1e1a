"""The broadcast outbox: a job per broadcast or reminder, one delivery row per recipient.

Deliveries hold a chat id and a status, never names or messages: the text is the job's, and
`last_error` keeps an error code only.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class JobKind(StrEnum):
    BROADCAST = "broadcast"
    REMINDER = "reminder"


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for send_at; recipients not chosen yet
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (a crash mid-send: bot/broadcasts/service.py)
    SENT = "sent"
    UNREACHABLE = "unreachable"  # bot blocked, account deleted, chat not found
    FAILED = "failed"  # refused, or still failing after the last retry


class BroadcastJob(SQLModel, table=True):
    __tablename__ = "broadcast_job"
    # One job per reminder and event, so that several bot processes create it once.
    __table_args__ = (UniqueConstraint("event_id", "reminder_days", name="uq_broadcast_job_reminder"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    kind: JobKind = Field(default=JobKind.BROADCAST, sa_column=Column(String(16), nullable=False))
    status: JobStatus = Field(default=JobStatus.SCHEDULED, sa_column=Column(String(16), nullable=False))
    # {"kind": "country", "value": "PH"}: see bot.broadcasts.audiences.Audience.
    audience: dict = Field(sa_column=Column(JSON, nullable=False))
    audience_label: str = Field(default="", max_length=200)
    # HTML as sent; `variants` maps a language code to its own text, the others get `text`.
    text: str = Field(sa_column=Column(Text, nullable=False))
    variants: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    media_kind: str | None = Field(default=None, max_length=16)
    media_file_id: str | None = Field(default=None, max_length=255)
    send_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # Progress and report go to the staff member who created the job, in their language.
    language: str = Field(default="en", max_length=16)
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_message_id: int | None = None
    progress_edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    reminder_days: int | None = None


class BroadcastDelivery(SQLModel, table=True):
    __tablename__ = "broadcast_delivery"
    __table_args__ = (
        UniqueConstraint("job_id", "chat_id", name="uq_broadcast_delivery_job_chat"),
        Index("ix_broadcast_delivery_claim", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("broadcast_job.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    language: str = Field(max_length=16)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_column=Column(String(16), nullable=False)
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # "403", "400", "5xx", "network": a code, never Telegram's description (it may name the user).
    last_error: str | None = Field(default=None, max_length=16)


class RegistrationStart(SQLModel, table=True):
    """Who opened the registration dialogue, for "unfinished registrations" and reminders."""

    __tablename__ = "registration_start"

    event_id: str = Field(max_length=40, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The language the dialogue opened in: the reminder's language if none is chosen later.
    language: str = Field(max_length=16)
