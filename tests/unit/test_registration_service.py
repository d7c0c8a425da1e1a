"""Registration rules without Telegram, on SQLite and PostgreSQL."""

import asyncio
from datetime import timedelta

import pytest

from bot.core.answers import Answers, answers_of
from bot.core.crypto import PassportCipher
from bot.core.db import create_session_factory
from bot.core.models import RegistrationStatus
from bot.core.registration_codes import CODE_ALPHABET
from bot.registration.service import (
    RegistrationClosed,
    RegistrationService,
    Window,
    registration_window,
)
from tests.support.app import AFTER_DEADLINE, BEFORE_DEADLINE, PASSPORT_KEY
from tests.support.app import sample_answers as answers_of_ana

MARIE = {
    "language": "fr",
    "full_name": "Marie Chris Cabreros",
    "email": "marie@example.org",
    "visa_needed": True,
    "nationality": "PH",
    "passport_number": "P1234567A",
}


def sample_answers(**changes) -> Answers:
    return answers_of_ana(**{**MARIE, **changes})


@pytest.fixture
def service(engine, event) -> RegistrationService:
    return RegistrationService(create_session_factory(engine), event, PassportCipher([PASSPORT_KEY]))


async def test_register_once_with_readable_code(service):
    registration, created = await service.register(7, sample_answers(), BEFORE_DEADLINE)
    assert created and registration.status == RegistrationStatus.REGISTERED
    letters = registration.code.replace("-", "")
    assert len(letters) == 6 and set(letters) <= set(CODE_ALPHABET)
    assert len(registration.checkin_token) >= 22
    again, created_again = await service.register(7, sample_answers(full_name="Other"), BEFORE_DEADLINE)
    assert not created_again and again.id == registration.id and again.full_name == "Marie Chris Cabreros"


async def test_concurrent_confirms_store_one(service):
    results = await asyncio.gather(
        *(service.register(8, sample_answers(), BEFORE_DEADLINE) for _ in range(5))
    )
    assert sum(created for _, created in results) == 1
    assert len({registration.id for registration, _ in results}) == 1


async def test_visa_details_dropped_when_no_visa_needed(service):
    registration, _ = await service.register(9, sample_answers(visa_needed=False), BEFORE_DEADLINE)
    assert registration.nationality is None and registration.passport_number is None


async def test_update_and_withdraw_then_register_again(service):
    registration, _ = await service.register(10, sample_answers(), BEFORE_DEADLINE)
    changed = await service.update(
        registration.id, sample_answers(position="Secretary General"), BEFORE_DEADLINE
    )
    assert changed.position == "Secretary General"
    withdrawn = await service.withdraw(10, BEFORE_DEADLINE + timedelta(days=1))
    assert withdrawn.status == RegistrationStatus.WITHDRAWN and withdrawn.withdrawn_at is not None
    assert await service.get_active(10) is None
    assert await service.withdraw(10, BEFORE_DEADLINE) is None
    back, created = await service.register(10, sample_answers(), BEFORE_DEADLINE + timedelta(days=2))
    assert created and back.id == registration.id and back.code == registration.code
    assert back.status == RegistrationStatus.REGISTERED


async def test_answers_round_trip_json_safe(service):
    registration, _ = await service.register(
        11, sample_answers(arrival_date="2024-07-29", arrival_time="14:35"), BEFORE_DEADLINE
    )
    data = answers_of(registration)
    assert data["arrival_date"] == "2024-07-29" and data["arrival_time"] == "14:35:00"
    assert Answers.model_validate(data).arrival_time.hour == 14


async def test_deadline(service, event):
    assert registration_window(event, BEFORE_DEADLINE) is Window.OPEN
    assert registration_window(event, AFTER_DEADLINE) is Window.CLOSED
    with pytest.raises(RegistrationClosed):
        await service.register(12, sample_answers(), AFTER_DEADLINE)


async def test_late_registration_is_pending(engine, event):
    late_event = event.model_copy(update={"allow_late_registration": True})
    service = RegistrationService(create_session_factory(engine), late_event, PassportCipher([PASSPORT_KEY]))
    registration, created = await service.register(13, sample_answers(), AFTER_DEADLINE)
    assert created and registration.status == RegistrationStatus.PENDING


async def test_big_telegram_ids(service):
    registration, _ = await service.register(7_123_456_789, sample_answers(), BEFORE_DEADLINE)
    assert (await service.get(7_123_456_789)).id == registration.id
