"""The outbox worker: sends broadcast and reminder deliveries within Telegram's limits.

One asyncio task per bot process (started on dp.startup, stopped on dp.shutdown). It claims a
few deliveries at a time (`in_flight`), sends each through the rate limiter and records the
outcome at once, so that a restart resumes where the outbox stands (see
bot/broadcasts/service.py for the one message in flight at a crash). It also starts scheduled
jobs and reminders when they are due, edits each job's progress message, and sends the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from datetime import datetime, timedelta
from html import escape

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.broadcasts.ratelimit import RateLimiter
from bot.broadcasts.reminders import ReminderService
from bot.broadcasts.service import BroadcastService, Claim, Content, Progress, Result, content_for
from bot.core.clock import Clock
from bot.core.event import Event
from bot.core.i18n import N_, fmt_datetime, get_i18n, gettext, in_zone
from bot.core.i18n import gettext as _
from bot.core.labels import JOB_STATUSES
from bot.core.models import BroadcastJob, DeliveryStatus, JobKind, JobStatus

log = logging.getLogger(__name__)


def in_flight_for(rate: float) -> int:
    """Deliveries claimed and not yet recorded, per process: a quarter of a second of sending
    (at least 8, to keep ~25 messages/s flowing at Telegram's latency), so that a crash leaves
    little in flight, and claims and outcomes are written a batch at a time."""
    return max(8, min(250, round(rate / 4)))


async def send_content(bot: Bot, chat_id: int, content: Content) -> Message:
    """One recipient's message; the staff preview goes through here too, so it is identical."""
    if content.media_kind == "photo":
        return await bot.send_photo(chat_id, content.media_file_id, caption=content.text)
    if content.media_kind == "document":
        return await bot.send_document(chat_id, content.media_file_id, caption=content.text)
    return await bot.send_message(chat_id, content.text)


def fmt_when(moment: datetime, language: str, event: Event) -> str:
    """`Thu, Apr 25, 2024, 6:00 PM` in the event's time zone, as the language writes it."""
    return fmt_datetime(moment, language, event.tz, "yMMMEd")


# --- the progress message ----------------------------------------------------------------


class JobAction(CallbackData, prefix="bc"):
    """Buttons of a broadcast's progress message (staff only, see bot/broadcasts/handlers.py)."""

    action: str  # pause, resume, cancel (asks), stop (confirmed cancel), keep
    job_id: int


def progress_text(job: BroadcastJob, progress: Progress, event: Event, language: str) -> str:
    """The progress message; the messages are in the current locale, dates in `language`."""
    title = _("📣 <b>Broadcast #{id}</b> to {audience}").format(
        id=job.id, audience=escape(job.audience_label)
    )
    when = in_zone(fmt_when(job.send_at, language, event), event.tz, language)
    status = gettext(JOB_STATUSES[job.status]).format(when=when)
    if job.status == JobStatus.SCHEDULED or (job.status == JobStatus.CANCELLED and not progress.total):
        return f"{title}\n{status}"  # the recipients are counted when it starts
    counts = _("Sent: {sent} of {total}\nUnreachable: {unreachable}\nFailed: {failed}").format(
        sent=progress.sent, total=progress.total, unreachable=progress.unreachable, failed=progress.failed
    )
    return f"{title}\n{status}\n\n{counts}"


def _button(job: BroadcastJob, text: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=gettext(text), callback_data=JobAction(action=action, job_id=job.id).pack()
    )


def progress_keyboard(job: BroadcastJob) -> InlineKeyboardMarkup | None:
    button = functools.partial(_button, job)
    if job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        return None
    if job.status == JobStatus.RUNNING:
        row = [button(N_("⏸ Pause"), "pause"), button(N_("🛑 Cancel"), "cancel")]
    elif job.status == JobStatus.PAUSED:
        row = [button(N_("▶️ Resume"), "resume"), button(N_("🛑 Cancel"), "cancel")]
    else:
        row = [button(N_("🛑 Cancel"), "cancel")]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def cancel_keyboard(job: BroadcastJob) -> InlineKeyboardMarkup:
    """Asked in a message of its own: progress edits do not take the question away."""
    row = [_button(job, N_("🛑 Yes, cancel it"), "stop"), _button(job, N_("↩️ No, go on"), "keep")]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def report_text(job: BroadcastJob, progress: Progress) -> str:
    values = {
        "id": job.id,
        "sent": progress.sent,
        "unreachable": progress.unreachable,
        "failed": progress.failed,
        "waiting": progress.waiting,
    }
    if job.status == JobStatus.CANCELLED and not progress.total:
        text = N_("🛑 Broadcast #{id} cancelled before it started: nothing was sent.")
    elif job.status == JobStatus.CANCELLED:
        text = N_(
            "🛑 Broadcast #{id} cancelled: {sent} sent, {unreachable} unreachable, {failed} failed, "
            "{waiting} not sent."
        )
    else:
        text = N_(
            "📣 Broadcast #{id} finished: {sent} sent, {unreachable} unreachable (blocked the bot or "
            "left Telegram), {failed} failed."
        )
    return gettext(text).format(**values)


# --- the worker ----------------------------------------------------------------------------


class OutboxWorker:
    def __init__(
        self,
        broadcasts: BroadcastService,
        reminders: ReminderService,
        limiter: RateLimiter,
        clock: Clock,
        *,
        poll_interval: float = 1.0,
        progress_interval: float = 5.0,
    ):
        self.broadcasts = broadcasts
        self.reminders = reminders
        self.limiter = limiter
        self.clock = clock
        self.poll_interval = poll_interval
        self.progress_interval = progress_interval
        self.in_flight = in_flight_for(limiter.rate)
        self._bot: Bot | None = None
        self._task: asyncio.Task[None] | None = None
        self._event = asyncio.Event()
        self._stopping = False
        self._more = False  # the last claim was full: more deliveries may be waiting
        self._sends: dict[asyncio.Task[None], Claim] = {}
        self._on_the_wire: set[int] = set()  # deliveries past the rate limiter: let them finish
        self._halted: dict[int, float] = {}  # job -> when it was paused or cancelled here
        self._jobs: dict[int, BroadcastJob] = {}  # content of the jobs being sent
        self._shown: dict[int, tuple[str, Progress]] = {}
        self._housekeeping_at = 0.0
        self._results: list[tuple[Result, asyncio.Future[None]]] = []
        self._results_ready = asyncio.Event()

    async def start(self, bot: Bot) -> None:
        self._bot = bot
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        """Messages on the wire finish and are recorded; claims not yet sent go back to pending."""
        if self._task is None:
            return
        self._stopping = True
        self._event.set()
        await self._task
        self._task = None

    def wake(self) -> None:
        """Something changed (a job created, resumed...): look now rather than at the next poll."""
        self._housekeeping_at = 0.0
        self._event.set()

    def halt(self, job_id: int) -> None:
        """A job was paused or cancelled: the messages claimed before are not sent."""
        self._halted[job_id] = time.monotonic()

    # -- the loop

    async def _run(self) -> None:
        writer = asyncio.create_task(self._write_results(), name="outbox-writer")
        try:
            while not self._stopping:
                try:
                    if time.monotonic() >= self._housekeeping_at:
                        self._housekeeping_at = time.monotonic() + self.poll_interval
                        await self._housekeeping()
                    await self._fill()
                except Exception:
                    # A database or network outage must not end the worker: it tries again.
                    log.exception("outbox step failed")
                await self._idle()
        finally:
            await self._drain()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _fill(self) -> None:
        free = self.in_flight - len(self._sends)
        # Claim in batches, and not while Telegram asked to wait: claims would only sit there.
        if free < self.in_flight // 2 or self.limiter.is_paused():
            return
        claimed_at = time.monotonic()
        claims = await self.broadcasts.claim(free)
        self._more = len(claims) == free
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim, claimed_at))
            self._sends[task] = claim
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        claim = self._sends.pop(task)
        self._on_the_wire.discard(claim.delivery_id)
        if not task.cancelled() and task.exception() is not None:
            # The row stays "sending" and is claimed again after the lease.
            log.error("delivery %s not recorded", claim.delivery_id, exc_info=task.exception())
        if self._more and len(self._sends) <= self.in_flight // 2:
            self._event.set()

    async def _idle(self) -> None:
        """Until there is room for more deliveries, someone wakes the worker, or the next poll."""
        if self._stopping:
            return
        self._event.clear()
        paused = self.limiter.pause_remaining()
        if self._more and len(self._sends) <= self.in_flight // 2 and not paused:
            return
        timeout = max(0.0, self._housekeeping_at - time.monotonic())
        if paused:
            timeout = max(timeout, paused)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)

    async def _drain(self) -> None:
        """Stopping: interrupt sends still waiting for the rate limiter, wait for those on the wire."""
        waiting = [task for task, claim in self._sends.items() if claim.delivery_id not in self._on_the_wire]
        unsent = [self._sends[task].delivery_id for task in waiting]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*self._sends, return_exceptions=True)
        await self.broadcasts.release(unsent)

    # -- one delivery

    async def _job(self, job_id: int) -> BroadcastJob:
        if job_id not in self._jobs:
            # Claimed deliveries belong to running jobs, which are never deleted.
            self._jobs[job_id] = await self.broadcasts.get(job_id)
        return self._jobs[job_id]

    async def _deliver(self, claim: Claim, claimed_at: float) -> None:
        job = await self._job(claim.job_id)
        await self.limiter.acquire(claim.chat_id)
        if self._halted.get(claim.job_id, 0.0) >= claimed_at:
            await self.broadcasts.release([claim.delivery_id])
            return
        self._on_the_wire.add(claim.delivery_id)
        try:
            await send_content(self._bot, claim.chat_id, content_for(job, claim.language))
        except TelegramRetryAfter as error:
            self.limiter.pause(error.retry_after)
            log.warning("Telegram asked to wait %s s: all sending paused", error.retry_after)
            await self.broadcasts.release([claim.delivery_id])
            return
        except TelegramAPIError as error:
            result = self._failure(claim, job, error)
        else:
            result = Result(claim.delivery_id, DeliveryStatus.SENT)
        # The slot is free once the outcome is stored: a crash can only repeat what is in flight.
        await self._record(result)

    @staticmethod
    def _failure(claim: Claim, job: BroadcastJob, error: TelegramAPIError) -> Result:
        if isinstance(error, TelegramForbiddenError):  # blocked, deactivated, kicked
            return Result(claim.delivery_id, DeliveryStatus.UNREACHABLE, "403")
        if isinstance(error, TelegramBadRequest) and "chat not found" in error.message.lower():
            return Result(claim.delivery_id, DeliveryStatus.UNREACHABLE, "400")
        if isinstance(error, TelegramServerError):
            return Result(claim.delivery_id, DeliveryStatus.PENDING, "5xx")
        if isinstance(error, TelegramNetworkError):
            return Result(claim.delivery_id, DeliveryStatus.PENDING, "network")
        # Refused (a 400 about the message itself...): trying again would not help.
        log.warning("broadcast %s: Telegram refused a message: %s", job.id, type(error).__name__)
        code = (
            "400" if isinstance(error, TelegramBadRequest) else type(error).__name__.removeprefix("Telegram")
        )
        return Result(claim.delivery_id, DeliveryStatus.FAILED, code[:16])

    async def _record(self, result: Result) -> None:
        """Hand the outcome to the writer, which stores all that are ready in one transaction."""
        stored = asyncio.get_running_loop().create_future()
        self._results.append((result, stored))
        self._results_ready.set()
        await stored

    async def _write_results(self) -> None:
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            batch, self._results = self._results, []
            try:
                await self.broadcasts.record([result for result, _stored in batch])
            except Exception as error:
                for _result, stored in batch:
                    stored.set_exception(error)
            else:
                for _result, stored in batch:
                    stored.set_result(None)

    # -- jobs: start, progress, report

    async def _housekeeping(self) -> None:
        now = self.clock.now()
        days = await self.reminders.schedule_due(now)
        if days is not None:
            log.info("reminder %s days before the deadline: scheduled", days)
        await self.broadcasts.start_due(now)
        if self.limiter.is_paused():
            return  # progress and reports wait with everything else
        for job in await self.broadcasts.running_jobs():
            await self._show_progress(job)
        for job in await self.broadcasts.finish_completed():
            await self._report(job)

    async def _show_progress(self, job: BroadcastJob) -> None:
        if job.progress_message_id is None:
            return
        progress = await self.broadcasts.progress(job.id)
        # The status too: a pause pressed meanwhile is shown at the next turn.
        if self._shown.get(job.id) == (job.status, progress):
            return
        if not await self.broadcasts.take_progress_turn(job.id, timedelta(seconds=self.progress_interval)):
            return
        self._shown[job.id] = (job.status, progress)
        await self._edit_progress(job, progress)

    async def _edit_progress(self, job: BroadcastJob, progress: Progress) -> None:
        await self.limiter.acquire(job.progress_chat_id)
        job = await self.broadcasts.get(job.id) or job  # as it is now: a button may have been pressed
        with get_i18n().use_locale(job.language):
            text = progress_text(job, progress, self.broadcasts.event, job.language)
            keyboard = progress_keyboard(job)
        try:
            await self._bot.edit_message_text(
                text=text,
                chat_id=job.progress_chat_id,
                message_id=job.progress_message_id,
                reply_markup=keyboard,
            )
        except TelegramRetryAfter as error:
            self.limiter.pause(error.retry_after)
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                log.warning("broadcast %s: progress message not updated: %s", job.id, error.message)
        except TelegramAPIError as error:
            log.warning("broadcast %s: progress message not updated: %s", job.id, error.message)

    async def _report(self, job: BroadcastJob) -> None:
        progress = await self.broadcasts.progress(job.id)
        self._jobs.pop(job.id, None)
        self._shown.pop(job.id, None)
        self._halted.pop(job.id, None)
        if job.kind == JobKind.REMINDER or job.progress_chat_id is None:
            log.info(
                "%s %s %s: %s sent, %s unreachable, %s failed",
                job.kind,
                job.id,
                job.status,
                progress.sent,
                progress.unreachable,
                progress.failed,
            )
            return
        if job.progress_message_id is not None:
            await self._edit_progress(job, progress)
        with get_i18n().use_locale(job.language):
            text = report_text(job, progress)
        await self.limiter.acquire(job.progress_chat_id)
        with contextlib.suppress(TelegramAPIError):  # the staff member may have blocked the bot
            await self._bot.send_message(job.progress_chat_id, text)
