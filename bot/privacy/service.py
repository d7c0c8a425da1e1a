"""Delegates' data rights and retention: what is stored about a user, erasure, the purge.

Erasure keeps the registration row, with status "erased", for the counts (how many registered,
withdrew, checked in): its identifiers (Telegram user id, registration code, check-in token) and
every answer (delegation included) are cleared. Only process facts stay (`KEPT_COLUMNS`): when
the row was created, changed, withdrawn, checked in, erased, and which version of the privacy
notice was agreed to. A column added later is cleared unless it is listed there. The user's
language preference, dialogue state (answers in progress), the questions they asked (with the
organisers' replies), when they opened the registration and which broadcasts were delivered to
them are deleted.

Every table that holds a delegate's data is handled here; the tests look for a delegate's values
in every table after erasure, so a new table that keeps them fails them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiogram.fsm.storage.base import BaseStorage
from cryptography.fernet import InvalidToken
from sqlalchemy import Boolean
from sqlmodel import col, delete, select

from bot.core.crypto import PassportCipher
from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.form import COLUMN_KEYS
from bot.core.models import (
    BotUser,
    BroadcastDelivery,
    BroadcastJob,
    FormQuestion,
    Gender,
    Question,
    QuestionReply,
    Registration,
    RegistrationStart,
    RegistrationStatus,
)
from bot.core.models.registration import SEARCH_COLUMNS
from bot.core.users import UserService
from bot.runtime.storage import chat_records, chats_with_state, erase_chat

log = logging.getLogger(__name__)

KEPT_COLUMNS = frozenset(
    {
        "id",
        "event_id",
        "status",
        "consent_version",
        "consent_at",
        "created_at",
        "updated_at",
        "withdrawn_at",
        "erased_at",
        "checked_in_at",  # check-in counts still add up
    }
)
# A cleared column is NULL where allowed, else "" or False; the gender stays a valid value.
_REQUIRED_BLANKS: dict[str, Any] = {"gender": Gender.UNDISCLOSED.value, "custom_answers": {}}


def erased_values() -> dict[str, Any]:
    """Column -> value of an erased registration, for every column not kept."""
    values: dict[str, Any] = {}
    for column in Registration.__table__.columns:
        if column.name in KEPT_COLUMNS:
            continue
        if column.nullable:
            values[column.name] = None
        elif column.name in _REQUIRED_BLANKS:
            values[column.name] = _REQUIRED_BLANKS[column.name]
        else:
            values[column.name] = False if isinstance(column.type, Boolean) else ""
    return values


@dataclass(frozen=True)
class PurgeReport:
    registrations: int  # registrations erased
    users: int  # users whose language preference or dialogue state was deleted


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | time | datetime) else value


def _row_data(row: Any, columns: tuple[str, ...] | None = None) -> dict[str, Any]:
    names = columns or [column.name for column in row.__table__.columns if column.name != "id"]
    return {name: _json_value(getattr(row, name)) for name in names}


class PrivacyService:
    def __init__(
        self,
        sessions: SessionFactory,
        event: Event,
        passports: PassportCipher,
        storage: BaseStorage,
        users: UserService,
        retention_days: int,
    ):
        self._sessions = sessions
        self.event = event
        self.passports = passports
        self._storage = storage
        self._users = users
        self.retention_days = retention_days

    # -- retention

    @property
    def kept_until(self) -> date:
        """The last day personal data is kept (the privacy notice states it)."""
        return self.event.ends_on + timedelta(days=self.retention_days)

    @property
    def purge_at(self) -> datetime:
        """Midnight after `kept_until`, in the event's time zone."""
        return datetime.combine(self.kept_until + timedelta(days=1), time(), tzinfo=self.event.tz)

    def purge_due(self, now: datetime) -> bool:
        return now >= self.purge_at

    # -- what is stored

    async def personal_data(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the user, JSON-safe, passport number decrypted."""
        async with self._sessions() as session:
            registrations = (
                await session.exec(
                    select(Registration).where(Registration.user_id == user_id).order_by(Registration.id)
                )
            ).all()
            user = await session.get(BotUser, user_id)
            starts = (
                await session.exec(select(RegistrationStart).where(RegistrationStart.user_id == user_id))
            ).all()
            deliveries = (
                await session.exec(
                    select(BroadcastDelivery)
                    .where(BroadcastDelivery.chat_id == user_id)
                    .order_by(BroadcastDelivery.id)
                )
            ).all()
            questions = (
                await session.exec(select(Question).where(Question.user_id == user_id).order_by(Question.id))
            ).all()
            replies = (
                await session.exec(
                    select(QuestionReply)
                    .where(col(QuestionReply.question_id).in_([question.id for question in questions]))
                    .order_by(QuestionReply.id)
                )
            ).all()
            # The keys of every answer ever stored encrypted, of any event (passport numbers too).
            sensitive = {
                "passport_number",
                *self.event.form.sensitive_keys,
                *(key for _event, key in await _sensitive_keys(session)),
            }
        records = await chat_records(self._storage, user_id)
        return {
            "telegram_user_id": user_id,
            "registrations": [
                self._registration_data(registration, sensitive) for registration in registrations
            ],
            "bot_preferences": (
                {"language": user.language, "first_seen": user.first_seen.isoformat()} if user else None
            ),
            "dialogue_state": [
                self._decrypted(data, sensitive) for data in records.values() if "dialog_data" in data
            ],
            "registration_started": [_row_data(start) for start in starts],
            "questions": [
                {
                    **_row_data(
                        question, ("event_id", "text", "language", "status", "created_at", "sent_at")
                    ),
                    "replies": [
                        _row_data(reply, ("text", "sent_at"))
                        for reply in replies
                        if reply.question_id == question.id
                    ],
                }
                for question in questions
            ],
            "messages_from_organisers": [
                _row_data(delivery, ("job_id", "status", "language", "sent_at")) for delivery in deliveries
            ],
        }

    def _registration_data(self, registration: Registration, sensitive: set[str]) -> dict[str, Any]:
        # The search columns are the name and email again, folded for /find: not shown twice.
        data = {key: value for key, value in _row_data(registration).items() if key not in SEARCH_COLUMNS}
        if data.get("passport_number"):
            data["passport_number"] = self._clear(data["passport_number"])
        data["custom_answers"] = self._decrypted(data.get("custom_answers") or {}, sensitive)
        return data

    def _clear(self, token: str) -> str:
        try:
            return self.passports.decrypt(token)
        except InvalidToken:
            return token  # not decryptable with the configured keys: shown as stored

    def _decrypted(self, value: Any, sensitive: set[str]) -> Any:
        """A dialogue record or custom answers with the `sensitive` answers they hold in clear."""
        if isinstance(value, dict):
            return {
                key: self._clear(item)
                if key in sensitive and isinstance(item, str)
                else self._decrypted(item, sensitive)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._decrypted(item, sensitive) for item in value]
        return value

    # -- erasure

    async def forget(self, user_id: int, now: datetime) -> bool:
        """Erase everything about the user; True when they had a registration."""
        async with self._sessions() as session:
            registrations = (
                await session.exec(select(Registration).where(Registration.user_id == user_id))
            ).all()
            for registration in registrations:
                self._erase(registration, now)
                session.add(registration)
            await session.exec(delete(BotUser).where(col(BotUser.id) == user_id))
            await session.exec(delete(RegistrationStart).where(col(RegistrationStart.user_id) == user_id))
            await self._delete_questions(session, Question.user_id == user_id)
            # Deliveries not sent yet are dropped too: the bot no longer writes to them.
            await session.exec(delete(BroadcastDelivery).where(col(BroadcastDelivery.chat_id) == user_id))
            await session.commit()
        self._users.forget_kept(user_id)
        await erase_chat(self._storage, user_id)
        log.info("personal data erased on request (registrations %s)", [r.id for r in registrations])
        return bool(registrations)

    @staticmethod
    def _erase(registration: Registration, now: datetime) -> None:
        registration.sqlmodel_update(erased_values())
        registration.status = RegistrationStatus.ERASED
        registration.erased_at = now
        registration.updated_at = now

    @staticmethod
    async def _delete_questions(session: Any, condition: Any) -> None:
        asked = select(Question.id).where(condition)
        await session.exec(delete(QuestionReply).where(col(QuestionReply.question_id).in_(asked)))
        await session.exec(delete(Question).where(condition))

    async def holding_personal_data(self) -> int:
        """Registrations of the event that still hold personal data."""
        async with self._sessions() as session:
            rows = await session.exec(
                select(Registration.id).where(
                    Registration.event_id == self.event.id, Registration.status != RegistrationStatus.ERASED
                )
            )
            return len(rows.all())

    async def purge(self, now: datetime) -> PurgeReport:
        """Erase the event's registrations, and the preferences and dialogue state of every user
        who has no registration for another event."""
        async with self._sessions() as session:
            registrations = (
                await session.exec(
                    select(Registration).where(
                        Registration.event_id == self.event.id,
                        Registration.status != RegistrationStatus.ERASED,
                    )
                )
            ).all()
            for registration in registrations:
                self._erase(registration, now)
                session.add(registration)
            other_events = set(
                (
                    await session.exec(
                        select(Registration.user_id).where(
                            Registration.event_id != self.event.id,
                            Registration.status != RegistrationStatus.ERASED,
                        )
                    )
                ).all()
            )
            preferences = set((await session.exec(select(BotUser.id))).all()) - other_events
            if preferences:
                await session.exec(delete(BotUser).where(col(BotUser.id).in_(preferences)))
            starts = set(
                (
                    await session.exec(
                        select(RegistrationStart.user_id).where(RegistrationStart.event_id == self.event.id)
                    )
                ).all()
            )
            await session.exec(delete(RegistrationStart).where(RegistrationStart.event_id == self.event.id))
            await self._delete_questions(session, Question.event_id == self.event.id)
            event_jobs = select(BroadcastJob.id).where(BroadcastJob.event_id == self.event.id)
            await session.exec(delete(BroadcastDelivery).where(col(BroadcastDelivery.job_id).in_(event_jobs)))
            await session.commit()
        self._users.forget_kept()
        chats = await chats_with_state(self._storage) - other_events
        for chat_id in chats:
            await erase_chat(self._storage, chat_id)
        report = PurgeReport(registrations=len(registrations), users=len(preferences | chats | starts))
        if report.registrations or report.users:
            log.info(
                "retention purge: %s registrations erased, %s users forgotten",
                report.registrations,
                report.users,
            )
        return report

    # -- passport keys

    async def unreadable_passports(self) -> int:
        """Stored sensitive answers (passport numbers, and any question's marked sensitive) that no
        configured key decrypts (a key was lost or removed). Run at every start: columns only."""
        async with self._sessions() as session:
            tokens = [token for _registration_id, _key, token in await _sealed_answers(session)]
        return sum(not self.passports.is_encrypted(token) for token in tokens)

    async def rotate_passports(self) -> int:
        """Re-encrypt every stored sensitive answer under the first key, whether its question is
        still in the form or not; the count of answers."""
        async with self._sessions() as session:
            sealed = await _sealed_answers(session)
            ids = {registration_id for registration_id, _key, _token in sealed}
            registrations = {
                registration.id: registration
                for registration in await session.exec(
                    select(Registration).where(col(Registration.id).in_(ids))
                )
            }
            for registration_id, key, token in sealed:
                registration = registrations[registration_id]
                if key == "passport_number":
                    registration.passport_number = self.passports.rotate(token)
                else:
                    # A new dict: the JSON column is saved when it is replaced, not when changed.
                    registration.custom_answers = {
                        **registration.custom_answers,
                        key: self.passports.rotate(token),
                    }
                session.add(registration)
            await session.commit()
        return len(sealed)


async def _sensitive_keys(session: Any) -> set[tuple[str, str]]:
    """(event, key) of the questions whose answers are stored encrypted, as the form's questions
    were recorded at start-up (RegistrationService.record_form): removed ones too."""
    rows = await session.exec(select(FormQuestion.event_id, FormQuestion.key).where(FormQuestion.sensitive))
    return {(event_id, key) for event_id, key in rows}


async def _sealed_answers(session: Any) -> list[tuple[int, str, str]]:
    """Every encrypted answer stored: (registration id, key, token). The JSON column is read only
    for the events with a sensitive question of their own."""
    r = Registration
    sealed = [
        (registration_id, "passport_number", token)
        for registration_id, token in await session.exec(
            select(r.id, r.passport_number).where(col(r.passport_number).is_not(None))
        )
    ]
    sensitive = {
        (event_id, key) for event_id, key in await _sensitive_keys(session) if key not in COLUMN_KEYS
    }
    events = {event_id for event_id, _key in sensitive}
    if events:
        rows = await session.exec(
            select(r.id, r.event_id, r.custom_answers).where(col(r.event_id).in_(events))
        )
        for registration_id, event_id, answers in rows:
            for key, value in (answers or {}).items():
                if (event_id, key) in sensitive and isinstance(value, str):
                    sealed.append((registration_id, key, value))
    return sealed
