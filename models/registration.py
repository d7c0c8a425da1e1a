"""A delegate's registration for one event."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import BigInteger, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    # Accepted after the deadline, waiting for the organisers' decision.
    PENDING = "pending"
    WITHDRAWN = "withdrawn"


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    ANOTHER = "another"
    UNDISCLOSED = "undisclosed"


class Registration(SQLModel, table=True):
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_registration_event_user"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    code: str = Field(max_length=12, unique=True)
    checkin_token: str = Field(max_length=32, unique=True)
    # Plain strings rather than database enums: adding a status needs no type migration.
    status: RegistrationStatus = Field(
        default=RegistrationStatus.REGISTERED, sa_column=Column(String(16), nullable=False)
    )
    language: str = Field(max_length=16)

    consent_version: str = Field(max_length=32)
    consent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    full_name: str = Field(max_length=120)
    gender: Gender = Field(sa_column=Column(String(16), nullable=False))
    country: str = Field(max_length=2)
    organisation: str = Field(max_length=200)
    position: str = Field(max_length=200)
    role: str = Field(max_length=24)
    email: str = Field(max_length=254)
    phone: str = Field(max_length=20)

    arrival_date: date | None = None
    arrival_time: time | None = None
    arrival_flight: str | None = Field(default=None, max_length=16)
    departure_date: date | None = None
    departure_time: time | None = None
    departure_flight: str | None = Field(default=None, max_length=16)
    hotel_needed: bool = False
    visa_needed: bool = False
    nationality: str | None = Field(default=None, max_length=2)
    passport_number: str | None = Field(default=None, max_length=20)
    # Comma-separated ids of the event file's dietary options, then anything typed.
    dietary: str | None = Field(default=None, max_length=200)
    dietary_notes: str | None = Field(default=None, max_length=500)
    accessibility: str | None = Field(default=None, max_length=500)

    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
