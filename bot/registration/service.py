"""Registrations: create, read, change, withdraw; one per Telegram user per event."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.core.crypto import PassportCipher
from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.models import Gender, Registration, RegistrationStatus
from bot.core.registration_codes import new_registration_code


def new_checkin_token() -> str:
    # 128 bits, URL-safe: fits Telegram's 64-character deep-link payload with its prefix.
    return secrets.token_urlsafe(16)


class Answers(BaseModel):
    """Everything the registration dialogue asks, JSON-safe for dialogue storage."""

    model_config = ConfigDict(extra="ignore")

    language: str
    consent_version: str
    consent_at: datetime
    full_name: str
    gender: Gender
    country: str
    organisation: str
    position: str
    role: str
    email: str
    phone: str
    arrival_date: date | None = None
    arrival_time: time | None = None
    arrival_flight: str | None = None
    departure_date: date | None = None
    departure_time: time | None = None
    departure_flight: str | None = None
    hotel_needed: bool = False
    visa_needed: bool = False
    nationality: str | None = None
    # Encrypted in the dialogue data; a number given in clear is encrypted when stored.
    passport_number: str | None = None
    dietary: str | None = None
    dietary_notes: str | None = None
    accessibility: str | None = None

    def without_visa_details(self) -> Answers:
        if self.visa_needed:
            return self
        return self.model_copy(update={"nationality": None, "passport_number": None})


ANSWER_FIELDS = tuple(Answers.model_fields)


def answers_of(registration: Registration) -> dict[str, Any]:
    """A stored registration as dialogue data (JSON-safe), for changing it in the dialogue."""
    return Answers.model_validate(registration, from_attributes=True).model_dump(mode="json")


class Window(StrEnum):
    OPEN = "open"
    LATE = "late"  # after the deadline, accepted as pending
    CLOSED = "closed"


def registration_window(event: Event, now: datetime) -> Window:
    if now <= event.registration_deadline:
        return Window.OPEN
    return Window.LATE if event.allow_late_registration else Window.CLOSED


def changes_open(event: Event, now: datetime) -> bool:
    return now <= event.changes_deadline


class RegistrationClosed(Exception):
    """The deadline has passed and the event takes no late registrations."""


class RegistrationService:
    def __init__(self, sessions: SessionFactory, event: Event, passports: PassportCipher):
        self._sessions = sessions
        self.event = event
        self.passports = passports

    def accepts_registrations(self, now: datetime) -> bool:
        """Open, or late but still accepted (as pending)."""
        return registration_window(self.event, now) is not Window.CLOSED

    def _stored_values(self, answers: Answers) -> dict[str, Any]:
        values = answers.without_visa_details().model_dump()
        values["passport_number"] = self.passports.seal(values["passport_number"])
        return values

    async def get(self, user_id: int) -> Registration | None:
        async with self._sessions() as session:
            result = await session.exec(
                select(Registration).where(
                    Registration.event_id == self.event.id, Registration.user_id == user_id
                )
            )
            return result.first()

    async def get_active(self, user_id: int) -> Registration | None:
        registration = await self.get(user_id)
        if registration is None or registration.status == RegistrationStatus.WITHDRAWN:
            return None
        return registration

    async def register(self, user_id: int, answers: Answers, now: datetime) -> tuple[Registration, bool]:
        """Store the registration; (registration, True) when new, (existing, False) on a repeat.

        A withdrawn registration is registered again with the new answers, under its old code.
        """
        window = registration_window(self.event, now)
        if window is Window.CLOSED:
            raise RegistrationClosed
        status = RegistrationStatus.REGISTERED if window is Window.OPEN else RegistrationStatus.PENDING
        values = self._stored_values(answers)
        for _ in range(5):
            existing = await self.get(user_id)
            if existing is not None and existing.status != RegistrationStatus.WITHDRAWN:
                return existing, False
            async with self._sessions() as session:
                if existing is None:
                    registration = Registration(
                        event_id=self.event.id,
                        user_id=user_id,
                        code=new_registration_code(),
                        checkin_token=new_checkin_token(),
                        status=status,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                else:
                    registration = await session.get(Registration, existing.id)
                    registration.sqlmodel_update(
                        {**values, "status": status, "updated_at": now, "withdrawn_at": None}
                    )
                session.add(registration)
                try:
                    await session.commit()
                except IntegrityError:
                    # A concurrent confirm stored it first, or the code was taken: look again.
                    await session.rollback()
                    continue
                await session.refresh(registration)
                return registration, True
        raise RuntimeError("could not store the registration after 5 attempts")

    async def update(self, registration_id: int, answers: Answers, now: datetime) -> Registration:
        async with self._sessions() as session:
            registration = await session.get(Registration, registration_id)
            if registration is None:
                raise LookupError(registration_id)
            registration.sqlmodel_update({**self._stored_values(answers), "updated_at": now})
            session.add(registration)
            await session.commit()
            await session.refresh(registration)
            return registration

    async def withdraw(self, user_id: int, now: datetime) -> Registration | None:
        async with self._sessions() as session:
            result = await session.exec(
                select(Registration).where(
                    Registration.event_id == self.event.id,
                    Registration.user_id == user_id,
                    Registration.status != RegistrationStatus.WITHDRAWN,
                )
            )
            registration = result.first()
            if registration is None:
                return None
            registration.status = RegistrationStatus.WITHDRAWN
            registration.withdrawn_at = now
            registration.updated_at = now
            session.add(registration)
            await session.commit()
            await session.refresh(registration)
            return registration
