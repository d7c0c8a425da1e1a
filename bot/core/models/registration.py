"""A delegate's registration for one event."""

import unicodedata
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    # Accepted after the deadline, waiting for the organisers' decision.
    PENDING = "pending"
    WITHDRAWN = "withdrawn"
    # The delegate asked to be forgotten, or the retention period ended: the row stays for the
    # counts, every personal field is cleared (bot/privacy/service.py).
    ERASED = "erased"


# Registrations that count: expected at the event, in headcounts, delegations and check-in.
ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING)


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    ANOTHER = "another"
    UNDISCLOSED = "undisclosed"


def _partial(name: str, column: str) -> Index:
    where = text(f"{column} IS NOT NULL")
    return Index(name, "event_id", "status", sqlite_where=where, postgresql_where=where)


HEADCOUNT_INDEXES = (
    Index(
        "ix_registration_breakdown",
        "event_id",
        "status",
        "gender",
        "role",
        "language",
        "hotel_needed",
        "visa_needed",
    ),
    # Countries, delegations and dietary needs are counted in one pass.
    Index("ix_registration_country", "event_id", "country", "delegation_id", "dietary", "status"),
    Index("ix_registration_delegation", "event_id", "delegation_id", "status"),
    Index(
        "ix_registration_stay",
        "event_id",
        "hotel_needed",
        "arrival_date",
        "departure_date",
        "hotel_check_in",
        "hotel_check_out",
        "status",
    ),
    Index("ix_registration_arrival", "event_id", "arrival_date", "arrival_time", "status"),
    Index("ix_registration_departure", "event_id", "departure_date", "departure_time", "status"),
    Index("ix_registration_checked_in", "event_id", "checked_in_at", "status"),
    _partial("ix_registration_dietary_notes", "dietary_notes"),
    _partial("ix_registration_accessibility", "accessibility"),
)


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: `  JOSÉ  Núñez` -> `jose nunez` (/find's matching)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).split())


def search_values(full_name: str | None, email: str | None) -> dict[str, str | None]:
    """The folded copies /find searches (SEARCH_COLUMNS), from the name and email."""
    return {"search_name": fold(full_name or "") or None, "search_email": fold(email or "") or None}


# Derived from the name and email whenever they are written (the mapper events below); not
# shown to the delegate as data of their own (bot/privacy/service.py).
SEARCH_COLUMNS = ("search_name", "search_email")
# Code point order on both databases, like Python's sort of the same strings (SQLite's BINARY).
_FOLDED = String().with_variant(String(collation="C"), "postgresql")


class Registration(SQLModel, table=True):
    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_registration_event_user"),
        # Headcounts (bot/staff/headcount_service.py): each breakdown is read from a covering index in
        # its GROUP BY order, so it stays fast at 100,000 registrations on SQLite and PostgreSQL.
        *HEADCOUNT_INDEXES,
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    # None once erased, like the code and the check-in token.
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))
    code: str | None = Field(default=None, max_length=12, unique=True)
    checkin_token: str | None = Field(default=None, max_length=32, unique=True)
    # Plain strings rather than database enums: adding a status needs no type migration.
    status: RegistrationStatus = Field(
        default=RegistrationStatus.REGISTERED, sa_column=Column(String(16), nullable=False)
    )
    language: str = Field(max_length=16)

    consent_version: str = Field(max_length=32)
    consent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    # The built-in kinds of the event file's form (bot/core/form.py): typed and indexed columns.
    # Only the name is in every form; an event that does not ask the others leaves them empty.
    full_name: str = Field(max_length=120)
    gender: Gender | None = Field(default=None, sa_column=Column(String(16)))
    country: str | None = Field(default=None, max_length=2)
    organisation: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=24)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)

    arrival_date: date | None = None
    arrival_time: time | None = None
    arrival_flight: str | None = Field(default=None, max_length=16)
    departure_date: date | None = None
    departure_time: time | None = None
    departure_flight: str | None = Field(default=None, max_length=16)
    hotel_needed: bool = False
    # Asked where the travel's dates are not given (no airport transfer): the nights booked.
    hotel_check_in: date | None = None
    hotel_check_out: date | None = None
    visa_needed: bool = False
    nationality: str | None = Field(default=None, max_length=2)
    # Ciphertext (bot/core/crypto.py): a Fernet token of the number.
    passport_number: str | None = Field(default=None, max_length=255)
    # Comma-separated ids of the event file's dietary options, then anything typed.
    dietary: str | None = Field(default=None, max_length=200)
    dietary_notes: str | None = Field(default=None, max_length=500)
    accessibility: str | None = Field(default=None, max_length=500)
    # Answers to the form's other questions, by question id (JSON-safe values; a sensitive one is
    # ciphertext). Kept when the question leaves the form: exports and /mydata still show them.
    custom_answers: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default=text("'{}'"))
    )

    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    # Delegations (bot/delegations/service.py).
    delegation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("delegation.id", name="fk_registration_delegation_id", ondelete="SET NULL"),
        ),
    )
    # Designated head by staff; without one, the earliest active member leads the delegation.
    delegation_head: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Pending because joining would have unbalanced the delegation (gender_balance: require).
    held_for_balance: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Check-in at the entrance (bot/staff/checkin_service.py): when, and the staff member's user id.
    checked_in_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    checked_in_by: int | None = Field(default=None, sa_column=Column(BigInteger))

    # /find (bot/staff/find_service.py): the name and email folded (`fold`), kept by the mapper
    # events below on every ORM insert and update; a Core insert passes `search_values(...)`.
    search_name: str | None = Field(default=None, sa_column=Column(_FOLDED))
    search_email: str | None = Field(default=None, sa_column=Column(_FOLDED))


@event.listens_for(Registration, "before_insert")
@event.listens_for(Registration, "before_update")
def _keep_search_values(_mapper: Any, _connection: Any, registration: Registration) -> None:
    for column, value in search_values(registration.full_name, registration.email).items():
        if getattr(registration, column) != value:
            setattr(registration, column, value)
