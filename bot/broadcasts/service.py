"""The broadcast outbox: jobs, their deliveries, claiming them safely, and recording the outcome.

Times: `send_at` (scheduling, reminders) is event time, from the bot's `clock`; retries and
claim leases are operational and use the wall clock (`now`), so a frozen demo clock cannot
stall them.

A delivery moves pending -> sending (claimed) -> sent | unreachable | failed, or back to
pending for a retry. A process that dies while a message is in flight leaves its row in
"sending": once the claim is older than `CLAIM_LEASE`, any worker claims it again and sends it.
That message may then arrive twice (at-least-once, for the few messages in flight at a crash):
for event announcements, a duplicate is better than a delegate missing a change of venue.
Every message recorded as sent is never sent again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.broadcasts.audiences import Audience, AudienceKind, AudienceService
from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.models import (
    BroadcastDelivery,
    BroadcastJob,
    DeliveryStatus,
    JobKind,
    JobStatus,
    utcnow,
)
from bot.core.models.base import UTCDateTime

# Longer than any HTTP request to Telegram and any ordinary 429 pause: a claim that old belongs
# to a process that is gone.
CLAIM_LEASE = timedelta(minutes=10)
D = BroadcastDelivery
J = BroadcastJob


@dataclass(frozen=True)
class RetryPolicy:
    """Server (5xx) and network errors: retried after 2, 4, 8, 16 s, then the delivery fails."""

    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return timedelta(seconds=min(self.max_delay, self.base_delay * 2 ** (attempts - 1)))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    job_id: int
    chat_id: int
    language: str


@dataclass(frozen=True)
class Result:
    """How sending one delivery went: sent, unreachable or failed, or to be retried later."""

    delivery_id: int
    status: DeliveryStatus
    error_code: str | None = None  # "403", "400", "5xx", "network": never Telegram's text

    @property
    def retry(self) -> bool:
        return self.status == DeliveryStatus.PENDING


@dataclass(frozen=True)
class Content:
    """What one recipient receives: HTML text (a caption when there is media)."""

    text: str
    media_kind: str | None = None
    media_file_id: str | None = None


@dataclass(frozen=True)
class Progress:
    total: int = 0
    sent: int = 0
    unreachable: int = 0
    failed: int = 0

    @property
    def waiting(self) -> int:
        """Not yet sent: pending, being sent, or left over by a cancel."""
        return self.total - self.sent - self.unreachable - self.failed


def content_for(job: BroadcastJob, language: str) -> Content:
    """The recipient's language version, else the one of its base language, else the main text."""
    variants = job.variants or {}
    text = variants.get(language) or variants.get(language.split("_", 1)[0]) or job.text
    return Content(text, job.media_kind, job.media_file_id)


class BroadcastService:
    def __init__(
        self,
        sessions: SessionFactory,
        audiences: AudienceService,
        event: Event,
        retry: RetryPolicy | None = None,
        now: Callable[[], datetime] = utcnow,
    ):
        self._sessions = sessions
        self.audiences = audiences
        self.event = event
        self.retry = retry or RetryPolicy()
        self.now = now

    # -- jobs

    async def create(
        self,
        *,
        audience: Audience,
        audience_label: str,
        text: str,
        send_at: datetime,
        language: str,
        created_by: int | None,
        variants: dict[str, str] | None = None,
        media_kind: str | None = None,
        media_file_id: str | None = None,
    ) -> BroadcastJob:
        job = BroadcastJob(
            event_id=self.event.id,
            audience=audience.as_json(),
            audience_label=audience_label[:200],
            text=text,
            variants=variants or {},
            media_kind=media_kind,
            media_file_id=media_file_id,
            send_at=send_at,
            language=language,
            created_by=created_by,
        )
        async with self._sessions() as session:
            session.add(job)
            await session.commit()
            await session.refresh(job)
        return job

    async def get(self, job_id: int) -> BroadcastJob | None:
        async with self._sessions() as session:
            job = await session.get(BroadcastJob, job_id)
        return job if job is not None and job.event_id == self.event.id else None

    async def set_progress_message(self, job_id: int, chat_id: int, message_id: int) -> None:
        async with self._sessions() as session:
            await session.exec(
                update(J)
                .where(col(J.id) == job_id)
                .values(progress_chat_id=chat_id, progress_message_id=message_id)
            )
            await session.commit()

    async def _transition(self, job_id: int, sources: tuple[JobStatus, ...], target: JobStatus) -> bool:
        """Move the job from one of `sources` to `target`; False when it was not in any of them."""
        async with self._sessions() as session:
            result = await session.exec(
                update(J)
                .where(col(J.id) == job_id, J.event_id == self.event.id, col(J.status).in_(sources))
                .values(status=target)
            )
            await session.commit()
        return result.rowcount == 1

    async def pause(self, job_id: int) -> bool:
        return await self._transition(job_id, (JobStatus.RUNNING,), JobStatus.PAUSED)

    async def resume(self, job_id: int) -> bool:
        return await self._transition(job_id, (JobStatus.PAUSED,), JobStatus.RUNNING)

    async def cancel(self, job_id: int) -> bool:
        """Nothing more is sent; messages already on their way finish, then the report goes out."""
        return await self._transition(
            job_id, (JobStatus.SCHEDULED, JobStatus.RUNNING, JobStatus.PAUSED), JobStatus.CANCELLED
        )

    async def start_due(self, now: datetime) -> list[int]:
        """Start the scheduled jobs whose time has come: their recipients become deliveries.

        The status change and the deliveries are one transaction, and the change only applies
        to a job still "scheduled": of several processes, exactly one starts each job.
        """
        async with self._sessions() as session:
            due = (
                await session.exec(
                    select(J).where(
                        J.event_id == self.event.id, J.status == JobStatus.SCHEDULED, col(J.send_at) <= now
                    )
                )
            ).all()
        started = []
        for job in due:
            async with self._sessions() as session:
                claimed = await session.exec(
                    update(J)
                    .where(col(J.id) == job.id, J.status == JobStatus.SCHEDULED)
                    .values(status=JobStatus.RUNNING, started_at=self.now())
                )
                if claimed.rowcount != 1:
                    await session.rollback()
                    continue
                recipients = self.audiences.recipients(Audience.from_json(job.audience)).subquery()
                await session.exec(
                    insert(D).from_select(
                        ["job_id", "chat_id", "language", "status", "attempts", "next_attempt_at"],
                        select(
                            literal(job.id),
                            recipients.c.chat_id,
                            recipients.c.language,
                            literal(DeliveryStatus.PENDING.value),
                            literal(0),
                            literal(self.now(), UTCDateTime()),
                        ),
                    )
                )
                await session.commit()
            started.append(job.id)
        return started

    # -- deliveries

    def _due(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(D.status == DeliveryStatus.PENDING, col(D.next_attempt_at) <= now),
            and_(D.status == DeliveryStatus.SENDING, col(D.claimed_at) < now - CLAIM_LEASE),
        )

    async def claim(self, limit: int) -> list[Claim]:
        """Take up to `limit` deliveries of running jobs to send now, oldest first.

        Safe with several bot processes: one transaction selects candidates, then marks those
        still due. On PostgreSQL the SELECT takes row locks with FOR UPDATE SKIP LOCKED, so
        concurrent claimers take different rows without waiting for each other. SQLAlchemy
        renders no FOR UPDATE on SQLite, which serves a single process; there the UPDATE's own
        "still due" condition makes a concurrent claimer get nothing instead of the same rows.
        (One statement, UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED),
        is not safe: PostgreSQL may run the subquery more than once and claim more than n.)
        """
        now = self.now()
        candidates = (
            select(D.id)
            .join(J, col(J.id) == col(D.job_id))
            .where(J.status == JobStatus.RUNNING, J.event_id == self.event.id, self._due(now))
            .order_by(col(D.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=D)
        )
        async with self._sessions() as session:
            ids = (await session.exec(candidates)).all()
            if not ids:
                await session.rollback()
                return []
            rows = (
                await session.exec(
                    update(D)
                    .where(col(D.id).in_(ids), self._due(now))
                    .values(status=DeliveryStatus.SENDING, claimed_at=now)
                    .returning(D.id, D.job_id, D.chat_id, D.language)
                )
            ).all()
            await session.commit()
        return sorted((Claim(*row) for row in rows), key=lambda claim: claim.delivery_id)

    async def record(self, results: Sequence[Result]) -> None:
        """Store the outcome of sent messages, in one transaction (several finish at a time).

        A server or network error (`Result.retry`) puts the delivery back to pending after a
        backoff, or fails it after the last attempt.
        """
        now = self.now()
        final: dict[tuple[DeliveryStatus, str | None], list[int]] = defaultdict(list)
        for result in results:
            if not result.retry:
                final[result.status, result.error_code].append(result.delivery_id)
        async with self._sessions() as session:
            for (status, error_code), ids in final.items():
                sent_at = now if status == DeliveryStatus.SENT else None
                await session.exec(
                    update(D)
                    .where(col(D.id).in_(ids), D.status == DeliveryStatus.SENDING)
                    .values(status=status, attempts=D.attempts + 1, last_error=error_code, sent_at=sent_at)
                )
            for result in results:
                if result.retry:
                    await self._retry(session, result, now)
            await session.commit()

    async def _retry(self, session: AsyncSession, result: Result, now: datetime) -> None:
        delivery = await session.get(D, result.delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.SENDING:
            return
        delivery.attempts += 1
        delivery.last_error = result.error_code
        if self.retry.gives_up(delivery.attempts):
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = now + self.retry.delay(delivery.attempts)
        session.add(delivery)

    async def release(self, delivery_ids: list[int]) -> None:
        """Claimed but not sent (a 429, or the worker stopping): pending again, no attempt counted."""
        if not delivery_ids:
            return
        async with self._sessions() as session:
            await session.exec(
                update(D)
                .where(col(D.id).in_(delivery_ids), D.status == DeliveryStatus.SENDING)
                .values(status=DeliveryStatus.PENDING, claimed_at=None)
            )
            await session.commit()

    # -- progress and reports

    async def progress(self, job_id: int) -> Progress:
        async with self._sessions() as session:
            rows = (
                await session.exec(
                    select(D.status, func.count()).where(D.job_id == job_id).group_by(D.status)
                )
            ).all()
        counts = dict(rows)
        return Progress(
            total=sum(counts.values()),
            sent=counts.get(DeliveryStatus.SENT, 0),
            unreachable=counts.get(DeliveryStatus.UNREACHABLE, 0),
            failed=counts.get(DeliveryStatus.FAILED, 0),
        )

    async def take_progress_turn(self, job_id: int, interval: timedelta) -> bool:
        """True for one caller per `interval` and job: that one edits the progress message."""
        now = self.now()
        async with self._sessions() as session:
            result = await session.exec(
                update(J)
                .where(
                    col(J.id) == job_id,
                    col(J.progress_message_id).is_not(None),
                    or_(col(J.progress_edited_at).is_(None), col(J.progress_edited_at) <= now - interval),
                )
                .values(progress_edited_at=now)
            )
            await session.commit()
        return result.rowcount == 1

    async def running_jobs(self) -> list[BroadcastJob]:
        async with self._sessions() as session:
            return list(
                (
                    await session.exec(
                        select(J).where(
                            J.event_id == self.event.id,
                            col(J.status).in_((JobStatus.RUNNING, JobStatus.PAUSED)),
                        )
                    )
                ).all()
            )

    async def finish_completed(self) -> list[BroadcastJob]:
        """Close the jobs with nothing left to send (and cancelled ones with nothing in flight).

        Each job is closed once, by one process: that one sends the final report.
        """
        in_flight = exists().where(
            D.job_id == J.id, col(D.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
        )
        sending = exists().where(D.job_id == J.id, D.status == DeliveryStatus.SENDING)
        finishable = or_(
            and_(J.status == JobStatus.RUNNING, ~in_flight),
            and_(J.status == JobStatus.CANCELLED, ~sending),
        )
        async with self._sessions() as session:
            candidates = (
                await session.exec(
                    select(J.id, J.status).where(
                        J.event_id == self.event.id, col(J.finished_at).is_(None), finishable
                    )
                )
            ).all()
        finished = []
        for job_id, status in candidates:
            closed = JobStatus.DONE if status == JobStatus.RUNNING else JobStatus.CANCELLED
            async with self._sessions() as session:
                result = await session.exec(
                    update(J)
                    .where(col(J.id) == job_id, J.status == status, col(J.finished_at).is_(None), finishable)
                    .values(finished_at=self.now(), status=closed)
                )
                await session.commit()
                if result.rowcount == 1:
                    finished.append(await session.get(J, job_id, populate_existing=True))
        return finished

    # -- reminders

    async def reminder_days_created(self) -> set[int]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(J.reminder_days).where(J.event_id == self.event.id, J.kind == JobKind.REMINDER)
            )
            return {days for days in rows.all() if days is not None}

    async def create_reminder(
        self, days: int, send_at: datetime, text: str, variants: dict[str, str]
    ) -> bool:
        """The reminder job for `days` before the deadline, once per event (False if it exists)."""
        job = BroadcastJob(
            event_id=self.event.id,
            kind=JobKind.REMINDER,
            audience=Audience(AudienceKind.UNFINISHED).as_json(),
            text=text,
            variants=variants,
            send_at=send_at,
            reminder_days=days,
        )
        async with self._sessions() as session:
            session.add(job)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # another process created it first
                return False
        return True
