"""Helpers for the broadcast tests: recipients created through the service layer, not dialogues."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.crypto import PassportCipher
from bot.core.db import create_session_factory
from bot.core.event import Event
from bot.core.models import Registration, RegistrationStatus
from bot.registration.service import RegistrationService
from tests.support.app import BEFORE_DEADLINE, PASSPORT_KEY, sample_answers


def registration_service(engine: AsyncEngine, event: Event) -> RegistrationService:
    return RegistrationService(create_session_factory(engine), event, PassportCipher([PASSPORT_KEY]))


async def register(service: RegistrationService, user_id: int, **changes: object) -> None:
    _registration, created = await service.register(user_id, sample_answers(**changes), BEFORE_DEADLINE)
    assert created


async def register_many(engine: AsyncEngine, event: Event, user_ids: list[int], **changes: object) -> None:
    """Many registrations in one transaction (a thousand take a second, not ten), stored as
    RegistrationService stores them; codes are derived from the user id so that none collide."""
    values = sample_answers(**changes).model_dump(exclude={"custom"})
    async with create_session_factory(engine)() as session:
        session.add_all(
            Registration(
                event_id=event.id,
                user_id=user_id,
                code=f"T{user_id}"[:12],
                checkin_token=f"token{user_id}"[:32],
                status=RegistrationStatus.REGISTERED,
                created_at=BEFORE_DEADLINE,
                updated_at=BEFORE_DEADLINE,
                **values,
            )
            for user_id in user_ids
        )
        await session.commit()
