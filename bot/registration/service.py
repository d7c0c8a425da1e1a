"""Registrations: create, read, change, withdraw; one per Telegram user per event."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.core.answers import Answers
from bot.core.crypto import PassportCipher
from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.models import FormQuestion, Registration, RegistrationStatus
from bot.core.registration_codes import new_registration_code


def new_checkin_token() -> str:
    # 128 bits, URL-safe: fits Telegram's 64-character deep-link payload with its prefix.
    return secrets.token_urlsafe(16)


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


# Types whose stored answers read the same: a short text may become a long one, and back.
_FAMILIES = {"long_text": "text"}


def _family(kind: str) -> str:
    return _FAMILIES.get(kind, kind)


class FormChanged(SystemExit):
    """A question's type, or whether it is sensitive, changed incompatibly with the answers stored
    under it."""

    def __init__(self, key: str, was: str, now: str):
        super().__init__(
            f"Event file: form question {key} was {was} and is now {now}: the answers stored under it "
            f"cannot be read so. Give the changed question a new id, or keep it as it was."
        )


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
        # Whoever gives them, answers to questions that do not apply are not kept (a passport
        # number without a visa letter).
        answers = Answers.of_dialogue(answers.dialogue_values(), self.event.form)
        values = answers.model_dump(exclude={"custom"})
        values["passport_number"] = self.passports.seal(values["passport_number"])
        custom = dict(answers.custom)
        for step in self.event.form.custom():
            if step.sensitive and isinstance(custom.get(step.key), str):
                custom[step.key] = self.passports.seal(custom[step.key])
        values["custom_answers"] = custom
        return values

    async def record_form(self) -> None:
        """Remember the type each question's answers were given in; a question whose type changed
        in a way its stored answers cannot be read in stops start-up (FormChanged)."""
        async with self._sessions() as session:
            stored = {
                row.key: row
                for row in (
                    await session.exec(select(FormQuestion).where(FormQuestion.event_id == self.event.id))
                )
            }
            for step in self.event.form.steps:
                kind = step.question.type.value
                known = stored.get(step.key)
                if known is None:
                    session.add(
                        FormQuestion(
                            event_id=self.event.id, key=step.key, type=kind, sensitive=step.sensitive
                        )
                    )
                    continue
                if _family(known.type) != _family(kind):
                    raise FormChanged(step.key, f"of type {known.type}", f"of type {kind}")
                # Stored encrypted, or in clear: either way the other reading would fail.
                if known.sensitive != step.sensitive:
                    was, now = (
                        ("sensitive", "not sensitive") if known.sensitive else ("not sensitive", "sensitive")
                    )
                    raise FormChanged(step.key, was, now)
                if known.type != kind:
                    known.type = kind
                    session.add(known)
            await session.commit()

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
