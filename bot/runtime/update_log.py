"""Which Telegram updates were taken, so that each is handled once in webhook mode.

Telegram redelivers an update until the webhook answers 2xx, and with several replicas behind one
URL a redelivery may reach another process than the first attempt. Before handling an update, a
process claims its id; a claim that is held (being handled) or done is not taken again. A failed
attempt gives the id back for Telegram's next delivery, up to `MAX_ATTEMPTS`: after that the update
is acknowledged, so that a poison update cannot hold up the queue forever. A claim whose process
died is taken over after `LEASE`.

Redis when REDIS_URL is set (keys expire by themselves), else the database (table
`processed_update`, pruned as it goes).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.db import SessionFactory
from bot.core.models import ProcessedUpdate, utcnow

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=2)
# Telegram keeps an undelivered update for 24 hours: a day more is plenty to recognise it.
KEEP = timedelta(days=2)
PRUNE_EVERY = 1000  # update ids: one claim in this many prunes the table


class UpdateLog(Protocol):
    async def claim(self, bot_id: int, update_id: int) -> bool:
        """True when this process is to handle the update (first delivery, or a retry)."""

    async def done(self, bot_id: int, update_id: int) -> None: ...

    async def failed(self, bot_id: int, update_id: int) -> bool:
        """Record a failed attempt; True when Telegram should deliver the update again."""

    async def ping(self) -> None:
        """Raise when the store is unreachable."""


class SQLUpdateLog:
    def __init__(self, sessions: SessionFactory):
        self._sessions = sessions

    async def claim(self, bot_id: int, update_id: int) -> bool:
        now = utcnow()
        key = (ProcessedUpdate.bot_id == bot_id) & (ProcessedUpdate.update_id == update_id)
        async with self._sessions() as session:
            if update_id % PRUNE_EVERY == 0:
                await session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.claimed_at < now - KEEP))
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
            inserted = await session.exec(
                dialect.insert(ProcessedUpdate)
                .values(bot_id=bot_id, update_id=update_id, status="processing", attempts=0, claimed_at=now)
                .on_conflict_do_nothing()
                .returning(ProcessedUpdate.update_id)
            )
            taken = inserted.first() is not None
            if not taken:
                # A retry after a failure, or a claim abandoned by a process that died. The
                # conditions are in the UPDATE itself, so two replicas cannot both take it.
                retaken = await session.exec(
                    update(ProcessedUpdate)
                    .where(
                        key,
                        (ProcessedUpdate.status == "failed")
                        | (
                            (ProcessedUpdate.status == "processing")
                            & (ProcessedUpdate.claimed_at < now - LEASE)
                        ),
                    )
                    .values(status="processing", claimed_at=now)
                    .returning(ProcessedUpdate.update_id)
                )
                taken = retaken.first() is not None
            await session.commit()
            return taken

    async def done(self, bot_id: int, update_id: int) -> None:
        await self._set(bot_id, update_id, status="done")

    async def failed(self, bot_id: int, update_id: int) -> bool:
        async with self._sessions() as session:
            row = await session.get(ProcessedUpdate, (bot_id, update_id))
            attempts = (row.attempts if row else 0) + 1
            retry = attempts < MAX_ATTEMPTS
            await session.exec(
                update(ProcessedUpdate)
                .where(ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == update_id)
                .values(status="failed" if retry else "done", attempts=attempts)
            )
            await session.commit()
            return retry

    async def _set(self, bot_id: int, update_id: int, **values: object) -> None:
        async with self._sessions() as session:
            await session.exec(
                update(ProcessedUpdate)
                .where(ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == update_id)
                .values(**values)
            )
            await session.commit()

    async def ping(self) -> None:
        async with self._sessions() as session:
            await session.exec(select(text("1")))


class RedisUpdateLog:
    """`upd:<bot>:<update>` holds "processing" (expires after the lease) or "done"; the number of
    failed attempts is counted beside it."""

    def __init__(self, redis: Redis):
        self._redis = redis

    @staticmethod
    def _key(bot_id: int, update_id: int) -> str:
        return f"upd:{bot_id}:{update_id}"

    async def claim(self, bot_id: int, update_id: int) -> bool:
        key = self._key(bot_id, update_id)
        return bool(await self._redis.set(key, "processing", nx=True, ex=LEASE))

    async def done(self, bot_id: int, update_id: int) -> None:
        await self._redis.set(self._key(bot_id, update_id), "done", ex=KEEP)

    async def failed(self, bot_id: int, update_id: int) -> bool:
        key = self._key(bot_id, update_id)
        attempts_key = f"{key}:attempts"
        async with self._redis.pipeline(transaction=True) as pipe:
            attempts, _ = await pipe.incr(attempts_key).expire(attempts_key, KEEP).execute()
        if attempts < MAX_ATTEMPTS:
            await self._redis.delete(key)
            return True
        await self._redis.set(key, "done", ex=KEEP)
        return False

    async def ping(self) -> None:
        await self._redis.ping()
