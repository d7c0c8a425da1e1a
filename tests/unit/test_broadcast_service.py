"""The broadcast outbox without Telegram, on SQLite and PostgreSQL: audiences, starting jobs,
claiming deliveries, retries, leases, reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import chain

import pytest
from sqlmodel import select, update

from bot.broadcasts.audiences import KINDS_WITH_VALUE, Audience, AudienceKind, AudienceService
from bot.broadcasts.reminders import ReminderService, due_reminder, reminder_texts, reminder_times
from bot.broadcasts.service import CLAIM_LEASE, BroadcastService, Result, RetryPolicy, content_for
from bot.core.db import create_session_factory
from bot.core.models import BroadcastDelivery, Delegation, DeliveryStatus, JobStatus, Registration
from bot.core.users import UserService
from tests.support.app import BEFORE_DEADLINE
from tests.support.broadcasting import register, register_many, registration_service


class WallClock:
    def __init__(self) -> None:
        self.now = datetime(2024, 4, 20, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def audiences(engine, event) -> AudienceService:
    return AudienceService(create_session_factory(engine), event)


@pytest.fixture
def broadcasts(engine, event, audiences, wall) -> BroadcastService:
    return BroadcastService(
        create_session_factory(engine), audiences, event, retry=RetryPolicy(max_attempts=3), now=wall
    )


async def started_job(broadcasts: BroadcastService, audience: Audience | None = None, **values) -> int:
    job = await broadcasts.create(
        audience=audience or Audience(AudienceKind.ALL),
        audience_label="everyone",
        text="Hello",
        send_at=BEFORE_DEADLINE,
        language="en",
        created_by=900,
        **values,
    )
    assert await broadcasts.start_due(BEFORE_DEADLINE) == [job.id]
    return job.id


async def deliveries(engine) -> list[BroadcastDelivery]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(BroadcastDelivery).order_by(BroadcastDelivery.id))).all())


async def execute(engine, statement) -> None:
    async with create_session_factory(engine)() as session:
        await session.exec(statement)
        await session.commit()


# --- audiences -------------------------------------------------------------------------------


async def test_audiences(engine, event, audiences):
    service = registration_service(engine, event)
    await register(service, 1, country="PH", role="delegate", language="en")
    await register(service, 2, country="ID", role="observer", language="fr")
    await register(service, 3, country="PH", role="speaker", language="fr")
    await register(service, 4, country="TH", role="delegate", language="en")
    await register(service, 5, country="PH", role="delegate", language="en")
    await UserService(create_session_factory(engine)).set_language(2, "es")  # chose Spanish since
    withdrawn_at = BEFORE_DEADLINE + timedelta(hours=1)
    await service.withdraw(3, withdrawn_at)
    async with create_session_factory(engine)() as session:
        delegation = Delegation(
            event_id=event.id, party="Akbayan", country="PH", token="t0k3n", created_by=900
        )
        session.add(delegation)
        await session.commit()
        await session.refresh(delegation)
    await execute(engine, update(Registration).where(Registration.user_id == 4).values(status="pending"))
    await execute(
        engine,
        update(Registration).where(Registration.user_id.in_([1, 5])).values(delegation_id=delegation.id),
    )
    await execute(
        engine, update(Registration).where(Registration.user_id == 5).values(checked_in_at=withdrawn_at)
    )
    # Unfinished: 6 started and stopped; 3 withdrew, then started again; 7 declined the notice;
    # 1 started and confirmed.
    for user_id in (6, 7, 1):
        await audiences.registration_started(user_id, "fr", BEFORE_DEADLINE)
    await audiences.registration_started(3, "en", withdrawn_at + timedelta(minutes=5))
    await audiences.registration_declined(7)

    async def chats(kind: AudienceKind, value: str | None = None) -> dict[int, str]:
        recipients = audiences.recipients(Audience(kind, value))
        async with create_session_factory(engine)() as session:
            return dict((await session.exec(recipients)).all())

    assert await chats(AudienceKind.ALL) == {1: "en", 2: "es", 4: "en", 5: "en"}
    assert await chats(AudienceKind.STATUS, "withdrawn") == {3: "fr"}
    assert await chats(AudienceKind.STATUS, "pending") == {4: "en"}
    assert set(await chats(AudienceKind.COUNTRY, "PH")) == {1, 5}
    assert set(await chats(AudienceKind.DELEGATION, str(delegation.id))) == {1, 5}
    assert await chats(AudienceKind.DELEGATION, "not-a-number") == {}
    assert set(await chats(AudienceKind.ROLE, "delegate")) == {1, 4, 5}
    assert set(await chats(AudienceKind.LANGUAGE, "es")) == {2}
    assert set(await chats(AudienceKind.NOT_CHECKED_IN)) == {1, 2, 4}
    assert await chats(AudienceKind.UNFINISHED) == {6: "fr", 3: "en"}
    assert await audiences.count(Audience(AudienceKind.ALL)) == 4
    assert await audiences.languages(Audience(AudienceKind.ALL)) == {"en": 3, "es": 1}

    options = {kind: await audiences.options(kind) for kind in KINDS_WITH_VALUE}
    assert [(o.value, o.count) for o in options[AudienceKind.STATUS]] == [
        ("registered", 3),
        ("pending", 1),
        ("withdrawn", 1),
    ]
    assert [(o.value, o.count) for o in options[AudienceKind.COUNTRY]] == [("ID", 1), ("PH", 2), ("TH", 1)]
    assert [(o.value, o.count, o.party) for o in options[AudienceKind.DELEGATION]] == [
        (str(delegation.id), 2, "Akbayan")
    ]
    assert [(o.value, o.count) for o in options[AudienceKind.LANGUAGE]] == [("en", 3), ("es", 1)]


# --- jobs and deliveries ---------------------------------------------------------------------


async def test_a_job_starts_once_at_its_time_even_with_several_workers(engine, event, broadcasts):
    await register_many(engine, event, list(range(1, 51)))
    job = await broadcasts.create(
        audience=Audience(AudienceKind.ALL),
        audience_label="everyone",
        text="Hello",
        send_at=BEFORE_DEADLINE + timedelta(hours=2),
        language="en",
        created_by=900,
    )
    assert await broadcasts.start_due(BEFORE_DEADLINE) == []
    later = BEFORE_DEADLINE + timedelta(hours=2)
    started = await asyncio.gather(*(broadcasts.start_due(later) for _ in range(4)))
    assert sorted(chain.from_iterable(started)) == [job.id]
    rows = await deliveries(engine)
    assert len(rows) == 50 and {row.chat_id for row in rows} == set(range(1, 51))
    assert {row.status for row in rows} == {DeliveryStatus.PENDING}
    assert (await broadcasts.get(job.id)).status == JobStatus.RUNNING


async def test_concurrent_claims_never_take_the_same_delivery(engine, event, broadcasts):
    await register_many(engine, event, list(range(1, 301)))
    await started_job(broadcasts)
    taken: list[int] = []

    async def worker() -> None:
        while claims := await broadcasts.claim(7):
            for claim in claims:
                taken.append(claim.chat_id)
                await broadcasts.record([Result(claim.delivery_id, DeliveryStatus.SENT)])

    await asyncio.gather(*(worker() for _ in range(4)))
    assert sorted(taken) == list(range(1, 301)), "every delivery claimed exactly once"
    assert {row.status for row in await deliveries(engine)} == {DeliveryStatus.SENT}


async def test_recorded_outcomes_are_final(engine, event, broadcasts, wall):
    await register_many(engine, event, [1, 2, 3])
    job_id = await started_job(broadcasts)
    first, second, third = await broadcasts.claim(10)
    await broadcasts.record(
        [
            Result(first.delivery_id, DeliveryStatus.SENT),
            Result(second.delivery_id, DeliveryStatus.UNREACHABLE, "403"),
            Result(third.delivery_id, DeliveryStatus.FAILED, "400"),
        ]
    )
    wall.now += CLAIM_LEASE * 3
    assert await broadcasts.claim(10) == []
    progress = await broadcasts.progress(job_id)
    assert (progress.total, progress.sent, progress.unreachable, progress.failed) == (3, 1, 1, 1)
    rows = await deliveries(engine)
    assert [row.last_error for row in rows] == [None, "403", "400"]
    assert [row.attempts for row in rows] == [1, 1, 1]


async def test_server_errors_back_off_then_fail(engine, event, broadcasts, wall):
    assert [RetryPolicy().delay(n).total_seconds() for n in range(1, 6)] == [2, 4, 8, 16, 32]
    assert RetryPolicy(max_delay=10).delay(8).total_seconds() == 10
    await register_many(engine, event, [1])
    await started_job(broadcasts)
    [claim] = await broadcasts.claim(5)
    await broadcasts.record([Result(claim.delivery_id, DeliveryStatus.PENDING, "5xx")])
    assert await broadcasts.claim(5) == [], "not before the backoff"
    wall.now += timedelta(seconds=2)
    [claim] = await broadcasts.claim(5)
    await broadcasts.record([Result(claim.delivery_id, DeliveryStatus.PENDING, "network")])
    wall.now += timedelta(seconds=3)
    assert await broadcasts.claim(5) == [], "the second wait is longer"
    wall.now += timedelta(seconds=1)
    [claim] = await broadcasts.claim(5)
    await broadcasts.record([Result(claim.delivery_id, DeliveryStatus.PENDING, "5xx")])
    wall.now += timedelta(hours=1)
    assert await broadcasts.claim(5) == [], "the third attempt was the last"
    [row] = await deliveries(engine)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.FAILED, 3, "5xx")


async def test_a_claim_left_by_a_dead_process_is_taken_again_after_the_lease(engine, event, broadcasts, wall):
    """The in-flight policy: a message in "sending" at a crash is sent again (at least once)."""
    await register_many(engine, event, [1, 2])
    await started_job(broadcasts)
    assert len(await broadcasts.claim(1)) == 1  # the process dies with this one in flight
    [other] = await broadcasts.claim(5)
    await broadcasts.record([Result(other.delivery_id, DeliveryStatus.SENT)])
    wall.now += CLAIM_LEASE - timedelta(seconds=1)
    assert await broadcasts.claim(5) == [], "still leased to its process"
    wall.now += timedelta(seconds=2)
    [again] = await broadcasts.claim(5)
    assert again.chat_id == 1


async def test_released_claims_are_pending_again_without_an_attempt(engine, event, broadcasts):
    await register_many(engine, event, [1, 2])
    await started_job(broadcasts)
    claims = await broadcasts.claim(5)
    await broadcasts.release([claim.delivery_id for claim in claims])
    assert [claim.chat_id for claim in await broadcasts.claim(5)] == [1, 2]
    assert {row.attempts for row in await deliveries(engine)} == {0}


async def test_pause_resume_cancel(engine, event, broadcasts):
    await register_many(engine, event, [1, 2, 3])
    job_id = await started_job(broadcasts)
    assert await broadcasts.pause(job_id) and not await broadcasts.pause(job_id)
    assert await broadcasts.claim(5) == []
    assert await broadcasts.finish_completed() == [], "a paused job is not over"
    assert await broadcasts.resume(job_id) and not await broadcasts.resume(job_id)
    [first, *others] = await broadcasts.claim(1) + await broadcasts.claim(5)
    await broadcasts.record([Result(first.delivery_id, DeliveryStatus.SENT)])
    assert await broadcasts.cancel(job_id) and not await broadcasts.cancel(job_id)
    assert await broadcasts.finish_completed() == [], "messages still in flight"
    await broadcasts.release([claim.delivery_id for claim in others])
    finished = await asyncio.gather(broadcasts.finish_completed(), broadcasts.finish_completed())
    [job] = list(chain.from_iterable(finished))
    assert job.status == JobStatus.CANCELLED and job.finished_at is not None
    progress = await broadcasts.progress(job_id)
    assert (progress.sent, progress.waiting) == (1, 2)
    assert await broadcasts.claim(5) == []


async def test_a_finished_job_is_reported_once(engine, event, broadcasts):
    await register_many(engine, event, [1])
    job_id = await started_job(broadcasts)
    [claim] = await broadcasts.claim(5)
    assert await broadcasts.finish_completed() == []
    await broadcasts.record([Result(claim.delivery_id, DeliveryStatus.SENT)])
    finished = await asyncio.gather(*(broadcasts.finish_completed() for _ in range(3)))
    [job] = list(chain.from_iterable(finished))
    assert (job.id, job.status) == (job_id, JobStatus.DONE)
    empty = await started_job(broadcasts, Audience(AudienceKind.COUNTRY, "FR"))
    [job] = await broadcasts.finish_completed()
    assert (job.id, job.status) == (empty, JobStatus.DONE), "nobody to send to: done at once"


async def test_progress_turns_are_throttled(engine, event, broadcasts, wall):
    await register_many(engine, event, [1])
    job_id = await started_job(broadcasts)
    interval = timedelta(seconds=5)
    assert not await broadcasts.take_progress_turn(job_id, interval), "no progress message yet"
    await broadcasts.set_progress_message(job_id, 900, 12)
    assert await broadcasts.take_progress_turn(job_id, interval)
    assert not await broadcasts.take_progress_turn(job_id, interval)
    wall.now += interval
    assert await broadcasts.take_progress_turn(job_id, interval)


async def test_language_versions(broadcasts):
    job = await broadcasts.create(
        audience=Audience(AudienceKind.ALL),
        audience_label="",
        text="Hello",
        variants={"fr": "Bonjour", "zh_Hant": "你好"},
        media_kind="photo",
        media_file_id="photo-1",
        send_at=BEFORE_DEADLINE,
        language="en",
        created_by=900,
    )
    assert content_for(job, "fr").text == "Bonjour" and content_for(job, "fr").media_file_id == "photo-1"
    assert content_for(job, "es").text == "Hello"
    assert content_for(job, "zh_Hant").text == "你好"


# --- reminders -------------------------------------------------------------------------------


def test_reminder_times_and_which_one_is_due(event):
    times = reminder_times(event)
    assert event.reminders.days_before_deadline == (7, 1)
    assert times[7].isoformat() == "2024-05-08T10:00:00+08:00"
    assert times[1].isoformat() == "2024-05-14T10:00:00+08:00"
    assert due_reminder(event, times[7] - timedelta(seconds=1), set()) is None
    assert due_reminder(event, times[7], set()) == 7
    assert due_reminder(event, times[7] + timedelta(days=2), {7}) is None
    assert due_reminder(event, times[1], {7}) == 1
    assert due_reminder(event, times[1], set()) == 1, "after a downtime, only the latest"
    assert due_reminder(event, times[1], {1}) is None
    assert due_reminder(event, event.registration_deadline, set()) is None


def test_reminder_text_in_every_language(event):
    texts = reminder_texts(event)
    assert "May 15, 2024" in texts["en"] and "/start" in texts["en"]
    assert "15 mai 2024" in texts["fr"] and "Manille" not in texts["fr"]
    assert "15 de mayo de 2024" in texts["es"]


async def test_each_reminder_is_created_once(engine, event, broadcasts, audiences):
    await audiences.registration_started(1, "fr", BEFORE_DEADLINE)
    reminders = ReminderService(broadcasts, event)
    times = reminder_times(event)
    assert await reminders.schedule_due(BEFORE_DEADLINE) is None
    created = await asyncio.gather(*(reminders.schedule_due(times[7]) for _ in range(3)))
    assert [days for days in created if days] == [7]
    assert await reminders.schedule_due(times[7] + timedelta(hours=1)) is None
    assert await reminders.schedule_due(times[1]) == 1
    assert await broadcasts.reminder_days_created() == {7, 1}
