"""Broadcast: 10,000 recipients through the outbox worker of a bot process, within a rate limit.

The fake Bot API enforces a global limit on sendMessage (a scaled-up Telegram: `--limit` per
second over any one-second window) and answers 429 "retry after 1" beyond it; 2% of the
recipients have blocked the bot in the second run (403). The bot runs `python -m bot run` with
BROADCAST_RATE at 95% of the limit; the job is created in the database through
BroadcastService, as /broadcast does, and sent by the worker.

Figures: requests per second the bot achieved over the limit (the baseline: the most the fake
accepts), 429s received, and per recipient: duplicates (more than one message) and lost
(reachable but no message), next to the outbox's own record of who was unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import common
from bench.common import BEFORE_DEADLINE, BenchTelegram, Table, bot_command, bot_process, database
from bench.staff_queries import fake_registrations
from bot.broadcasts.audiences import Audience, AudienceKind, AudienceService
from bot.broadcasts.service import BroadcastService
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.event import Event, load_event
from bot.core.models import BroadcastDelivery, BroadcastJob, DeliveryStatus, JobStatus, Registration
from bot.core.settings import Settings
from tests.support.fake_telegram import ApiError, Call

TARGET_RATIO = 0.9


class RateLimitedTelegram(BenchTelegram):
    """The fake Bot API refusing sendMessage beyond `limit` per second, like Telegram does."""

    def __init__(self, limit: float) -> None:
        super().__init__(validate=False)
        self.limit = limit
        self._window: deque[float] = deque()  # accepted sends in the last second
        self.received: Counter[int] = Counter()  # chat -> messages accepted (blocked ones too)
        self.first_at: float | None = None
        self.last_at = 0.0
        self.too_many = 0

    async def _dispatch(self, call: Call) -> Any:
        if call.method != "sendMessage":
            return await super()._dispatch(call)
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.too_many += 1
            raise ApiError("Too Many Requests: retry after 1", 429, retry_after=1)
        self._window.append(now)
        self.first_at = self.first_at or now
        self.last_at = now
        self.received[call.params["chat_id"]] += 1
        return await super()._dispatch(call)


@dataclass
class BroadcastRun:
    recipients: int
    blocked: int
    seconds: float
    requests_per_s: float
    too_many: int
    duplicates: int
    lost: int
    recorded_unreachable: int
    recorded_sent: int


async def prepare(url: str, event: Event, recipients: int) -> tuple[list[int], int]:
    """Registrations and a broadcast job due now; (recipient chat ids, job id)."""
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        async with engine.begin() as connection:
            for batch in fake_registrations(event, recipients):
                for row in batch:
                    row["status"] = "registered"
                await connection.execute(insert(Registration), batch)
        sessions = create_session_factory(engine)
        broadcasts = BroadcastService(sessions, AudienceService(sessions, event), event)
        job = await broadcasts.create(
            audience=Audience(AudienceKind.ALL),
            audience_label="everyone",
            text="📣 The programme is online: see /programme.",
            send_at=datetime.fromisoformat(BEFORE_DEADLINE),
            language="en",
            created_by=None,
        )
        async with engine.connect() as connection:
            chats = (await connection.execute(select(Registration.user_id))).scalars().all()
        return list(chats), job.id  # type: ignore[return-value]
    finally:
        await engine.dispose()


async def outbox_state(url: str, job_id: int) -> tuple[str, Counter[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            status = (
                await connection.execute(select(BroadcastJob.status).where(BroadcastJob.id == job_id))
            ).scalar_one()
            rows = await connection.execute(
                select(BroadcastDelivery.status, func.count())
                .where(BroadcastDelivery.job_id == job_id)
                .group_by(BroadcastDelivery.status)
            )
            return status, Counter(dict(rows.all()))
    finally:
        await engine.dispose()


async def run_broadcast(
    backend: str, recipients: int, limit: float, blocked_share: float, workdir: Path, event: Event
) -> BroadcastRun:
    async with database(backend) as url, RateLimitedTelegram(limit) as fake:
        chats, job_id = await prepare(url, event, recipients)
        blocked = set(random.Random(2).sample(chats, round(len(chats) * blocked_share)))
        fake.blocked_chats = blocked
        env = {"DATABASE_URL": url, "BROADCAST_RATE": str(limit * 0.95)}
        name = f"broadcast-{backend}-{len(blocked)}-blocked"
        started = time.monotonic()
        async with bot_process(fake, bot_command(), env, workdir, name):
            deadline = started + 30 + 3 * recipients / limit
            while True:
                await asyncio.sleep(1.0)
                status, deliveries = await outbox_state(url, job_id)
                waiting = deliveries[DeliveryStatus.PENDING] + deliveries[DeliveryStatus.SENDING]
                if status == JobStatus.DONE and not waiting:
                    break
                if time.monotonic() > deadline:  # reported as lost: not sent in three times the time
                    print(f"  {name}: not finished in time: {dict(deliveries)}", file=sys.stderr)
                    break
        received = Counter({chat: fake.received[chat] for chat in chats})
        return BroadcastRun(
            recipients=len(chats),
            blocked=len(blocked),
            seconds=fake.last_at - (fake.first_at or fake.last_at),
            requests_per_s=(sum(received.values()) - 1) / max(1e-9, fake.last_at - (fake.first_at or 0)),
            too_many=fake.too_many,
            duplicates=sum(1 for count in received.values() if count > 1),
            lost=sum(1 for chat in chats if chat not in blocked and received[chat] == 0),
            recorded_unreachable=deliveries[DeliveryStatus.UNREACHABLE],
            recorded_sent=deliveries[DeliveryStatus.SENT],
        )


def table(backend: str, limit: float, runs: list[BroadcastRun]) -> Table:
    result = Table(f"Broadcast, {backend}, fake limit {limit:g} messages/s", "the limit")
    for run in runs:
        label = f"{run.recipients:,} recipients, {run.blocked} blocked"
        ratio = run.requests_per_s / limit
        result.add(
            f"{label}: sendMessage/s",
            run.requests_per_s,
            limit,
            "/s",
            f"ratio >= {TARGET_RATIO}",
            ratio >= TARGET_RATIO,
            f"{run.seconds:.1f} s, {run.too_many} answered 429",
        )
        result.add(f"{label}: duplicates", run.duplicates, 0, "", "0", run.duplicates == 0)
        result.add(f"{label}: lost", run.lost, 0, "", "0", run.lost == 0)
        result.add(
            f"{label}: recorded sent / unreachable",
            run.recorded_sent,
            run.recipients - run.blocked,
            "",
            "all",
            run.recorded_sent == run.recipients - run.blocked and run.recorded_unreachable == run.blocked,
            f"{run.recorded_unreachable} unreachable",
        )
    return result


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=200.0, help="the fake's messages per second")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of the bots here")
    args = parser.parse_args(argv)
    common.PROFILE_DIR = args.profile
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    event = load_event(Settings(_env_file=None).event_file)  # type: ignore[call-arg]
    tables = []
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as folder:
        for backend in args.backends:
            runs = []
            for blocked_share in (0.0, 0.02):
                run = await run_broadcast(
                    backend, args.recipients, args.limit, blocked_share, Path(folder), event
                )
                print(f"  {backend}, {run.blocked} blocked: {run}", file=sys.stderr, flush=True)
                runs.append(run)
            tables.append(table(backend, args.limit, runs))
    for result in tables:
        print(result.render())


if __name__ == "__main__":
    asyncio.run(main())
