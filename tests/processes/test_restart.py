"""Kill the bot in the middle of a registration, start it again: it goes on where the delegate was."""

from __future__ import annotations

import asyncio
import signal

import pytest

from bot.app import build_bot, build_dispatcher
from tests.support.app import App
from tests.support.processes import start_bot_process
from tests.support.walk import BotProcessUser, Press, S, register, stored


async def test_new_dispatcher_and_storage_continue_the_dialogue(settings, engine, fake):
    """A new process state (dispatcher, storage, bot session) on the same database."""
    first = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = first.chat(language_code="fr")
    await register(chat, until=S.position)
    await first.bot.session.close()

    second = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = second.chat(language_code="fr")
    # Answers the question asked before the restart.
    await register(chat, since=S.position, until=S.role)
    assert "take part" in chat.last_text
    await register(chat, since=S.role, until=S.review)
    review = chat.last_text
    assert "Ana Reyes" in review and "Akbayan" in review and "International Secretary" in review
    await chat.tap("confirm")
    [registration] = await stored(engine)
    assert registration.organisation == "Akbayan" and registration.language == "en"
    await second.bot.session.close()


@pytest.mark.slow
async def test_sigkill_mid_registration_then_restart(fake, tmp_path):
    """The real entry point, long polling the fake server; SIGKILL between two answers."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"
    user = fake.user(2002, first_name="Marie", language_code="fr")
    marie = BotProcessUser(fake, user.id, language="fr")

    process = await start_bot_process(fake, database_url)
    try:
        await register(marie, until=S.gender, language=Press("Français"), full_name="Marie Curie")
        question = fake.last_message(user.id).text
        # aiogram-dialog saves the dialogue just after showing the next question: let it.
        await asyncio.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    sent_before = len(fake.calls_of("sendMessage"))
    process = await start_bot_process(fake, database_url)
    try:
        user.send("/start")  # resumes at the same question
        await fake.wait_for(lambda: len(fake.calls_of("sendMessage")) > sent_before, 30)
        assert fake.last_message(user.id).text == question
        await register(marie, since=S.gender, until=S.country)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()


def test_the_bot_process_runs_on_uvloop_where_installed():
    """`python -m bot` commands run on uvloop (the tests above start such processes); without it
    (Windows), on asyncio's own loop."""
    uvloop = pytest.importorskip("uvloop")
    from bot.__main__ import run_until_done

    loops = []

    async def work() -> None:
        loops.append(type(asyncio.get_running_loop()))

    run_until_done(work())
    assert loops == [uvloop.Loop]
