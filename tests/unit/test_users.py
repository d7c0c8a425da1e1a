"""Each user's language and staff rights, read on every update: kept in the process for a while,
and every change the bot makes is seen at once."""

from sqlalchemy import event

from bot.core.access import StaffService
from bot.core.db import create_session_factory
from bot.core.models import BotUser
from bot.core.users import UserService


async def test_answers_are_kept_and_changes_made_by_the_bot_are_seen_at_once(engine):
    sessions = create_session_factory(engine)
    users = UserService(sessions, keep_seconds=60.0)
    staff = StaffService(sessions, frozenset({900}), users)
    assert await users.language_and_staff(7) == (None, False)
    statements: list[str] = []

    def record(*args) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await users.language_and_staff(7) == (None, False)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert statements == []  # kept
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await users.set_language(7, "fr")
        assert await users.language_and_staff(7) == ("fr", False)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 1, "one upsert, and the new language is kept rather than read again"
    await staff.grant(900, 7)
    assert await users.language_and_staff(7) == ("fr", True)
    await users.set_language(7, "vi")  # the row exists now: updated, staff rights unchanged
    assert await users.language_and_staff(7) == ("vi", True)
    assert await UserService(sessions).language_and_staff(7) == ("vi", True)  # as stored
    await staff.revoke(900, 7)
    assert await users.language_and_staff(7) == ("vi", False)


async def test_without_keeping_a_change_made_elsewhere_is_seen_at_once(engine):
    """With REDIS_URL (several processes), nothing is kept: another process may change it."""
    sessions = create_session_factory(engine)
    users = UserService(sessions)
    assert await users.language_and_staff(8) == (None, False)
    async with sessions() as session:
        session.add(BotUser(id=8, language="ja"))
        await session.commit()
    assert await users.language_and_staff(8) == ("ja", False)
