"""Two bot processes behind one webhook, on one PostgreSQL and one Redis: updates of several users
go round-robin to both, some to both at once; everyone registers, nobody gets a reply twice; then
both broadcast workers send one job: each delegate gets it once."""

from __future__ import annotations

import asyncio
import itertools
import signal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram.fsm.state import State
from redis.asyncio import Redis

from bench.common import database
from bot.broadcasts.audiences import Audience, AudienceKind, AudienceService
from bot.broadcasts.service import BroadcastService
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.event import load_event
from bot.core.models import JobStatus
from emulator.botapi import FakeTelegram
from tests.support.app import BEFORE_DEADLINE, EVENT_FILE, REDIS_TEST_URL
from tests.support.chat import widget_button
from tests.support.processes import bot_environment, free_port, run_bot
from tests.support.walk import SharedContact, register, stored

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

SECRET = "replica-secret"
PATH = "/telegram/updates"
BROADCAST = "📣 The provisional programme is online."
# Each delegate's typed answer (/start counts) that reaches both replicas: handled twice, it would
# show (a message for a question already answered), unlike a second press of a pressed button.
DUPLICATED_TEXTS = range(6)
NAMES = ("Ana Reyes", "Budi Santoso", "Chea Sokha", "Dao Minh Anh", "Emi Tanaka", "Farah Khan")


class Replicas:
    """The load balancer: update after update, to one replica after the other."""

    def __init__(self, fake: FakeTelegram, ports: list[int], http: aiohttp.ClientSession) -> None:
        self.fake, self.http = fake, http
        self.urls = [f"http://127.0.0.1:{port}{PATH}" for port in ports]
        self._next = itertools.cycle(self.urls)

    async def deliver(self, update: dict[str, Any], url: str | None = None) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.http.post(url or next(self._next), json=update, headers=headers) as response:
            assert response.status == 200, await response.text()

    async def deliver_to_all(self, update: dict[str, Any]) -> None:
        """The same update_id to every replica at once (a redelivery racing the first attempt)."""
        await asyncio.gather(*(self.deliver(update, url) for url in self.urls))


class Delegate:
    """A user whose updates go through the load balancer; each webhook call returns once the
    update is handled, so each question is there when the walk answers it."""

    # Pressed twice (two update ids) reaching both replicas at once.
    DOUBLE_TAPPED = ("agree", "confirm")

    def __init__(self, replicas: Replicas, user_id: int, name: str, duplicated_text: int) -> None:
        self.replicas, self.fake, self.id, self.name = replicas, replicas.fake, user_id, name
        self.texts = 0
        self.duplicated_text = duplicated_text  # each user's duplicated update is a different one

    async def send(self, text: str) -> None:
        update = self.fake.message_update(self.id, text)
        self.texts += 1
        if self.texts - 1 == self.duplicated_text:
            await self.replicas.deliver_to_all(update)
        else:
            await self.replicas.deliver(update)

    async def share_contact(self, phone: str) -> None:
        await self.replicas.deliver(self.fake.contact_update(self.id, phone))

    async def tap(self, widget: str) -> None:
        button = widget_button(self.fake, self.id, widget)
        assert button, f"user {self.id}: no button {widget!r}"
        if widget not in self.DOUBLE_TAPPED:
            await self.replicas.deliver(self.fake.callback_update(self.id, *button))
            return
        presses = [self.fake.callback_update(self.id, *button) for _ in self.replicas.urls]
        await asyncio.gather(
            *(self.replicas.deliver(p, url) for p, url in zip(presses, self.replicas.urls, strict=True))
        )

    async def asked(self, state: State) -> None:
        pass  # handled before the webhook call returned

    async def register(self) -> None:
        phone = SharedContact(f"+63917{self.id % 10**7:07d}")
        await register(self, full_name=self.name, email=f"delegate{self.id}@example.org", phone=phone)


@pytest.fixture
async def shared_database() -> AsyncIterator[str]:
    async with database("postgresql") as url:
        yield url


async def clear_redis(bot_id: int, users: range) -> None:
    redis = Redis.from_url(REDIS_TEST_URL)
    patterns = [f"upd:{bot_id}:*", *(f"fsm:{user}:*" for user in users)]
    keys = [key for pattern in patterns async for key in redis.scan_iter(pattern)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def broadcast_to_everyone(database_url: str, fake: FakeTelegram, users: range) -> None:
    """A broadcast job as /broadcast creates it: both replicas' workers claim its deliveries."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    event = load_event(EVENT_FILE)
    broadcasts = BroadcastService(sessions, AudienceService(sessions, event), event)
    try:
        job = await broadcasts.create(
            audience=Audience(AudienceKind.ALL),
            audience_label="everyone",
            text=BROADCAST,
            send_at=BEFORE_DEADLINE,  # the replicas' clock: due now
            language="en",
            created_by=None,
        )
        for _ in range(300):
            if (await broadcasts.get(job.id)).status == JobStatus.DONE:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the broadcast did not finish in 30 s")
    finally:
        await engine.dispose()
    received = {user: sum(m.text == BROADCAST for m in fake.chat(user)) for user in users}
    assert set(received.values()) == {1}, f"broadcast messages per user: {received}"


async def test_two_replicas_share_the_load(fake, shared_database):
    # Ids of their own: the shared Redis may hold other runs' keys.
    bot_id = uuid.uuid4().int % 10**9
    first_user = 10**9 + uuid.uuid4().int % 10**9
    users = range(first_user, first_user + len(NAMES))
    env = bot_environment(
        fake,
        shared_database,
        BOT_TOKEN=f"{bot_id}:TEST-token",
        REDIS_URL=REDIS_TEST_URL,
        WEBHOOK_URL="https://bot.example.org" + PATH,
        WEBHOOK_SECRET=SECRET,
        MIGRATE_ON_START="false",  # replicas would race to migrate: a release step does it
    )
    engine = create_engine(shared_database)
    try:
        await upgrade_schema(engine)  # the release step (`python -m bot db upgrade`), once
    finally:
        await engine.dispose()

    ports = [free_port(), free_port()]
    processes = [await run_bot("webhook", env={**env, "WEBHOOK_PORT": str(port)}) for port in ports]
    try:
        await fake.wait_for(lambda: len(fake.calls_of("setWebhook")) == 2, 120)
        async with aiohttp.ClientSession() as http:
            replicas = Replicas(fake, ports, http)
            delegates = [
                Delegate(replicas, user, name, duplicated_text=text)
                for user, name, text in zip(users, NAMES, DUPLICATED_TEXTS, strict=True)
            ]
            for delegate in delegates:
                fake.user(delegate.id, first_name=f"D{delegate.id}", language_code="en")
            await asyncio.gather(*(d.register() for d in delegates))
        await broadcast_to_everyone(shared_database, fake, users)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        outputs = [(await asyncio.wait_for(p.communicate(), 40))[1].decode() for p in processes]
        await clear_redis(bot_id, users)
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0 and "Traceback" not in output and "ERROR" not in output, output[-3000:]

    engine = create_engine(shared_database)
    try:
        registrations = await stored(engine)
    finally:
        await engine.dispose()
    assert sorted(r.full_name for r in registrations) == sorted(NAMES)
    # No duplicate replies: every chat went through the same script, so every chat holds the
    # same messages, each edited as often; one ticket each.
    shapes = {
        user: [(m.from_bot, len(m.edits), "photo" in m.data) for m in fake.chat(user) if m.from_bot]
        for user in users
    }
    assert len(set(map(tuple, shapes.values()))) == 1, shapes
    assert sum(photo for _, _, photo in shapes[users[0]]) == 1
    fake.assert_no_violations()
